package io.flightllm.rtl;

import java.math.BigInteger;

/** One co-simulation input with the Java model's expected output, both as bus values; {@code label} names its kind. */
record Stimulus(String label, BigInteger in, BigInteger expected) {
}
