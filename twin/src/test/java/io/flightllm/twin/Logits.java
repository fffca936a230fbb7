package io.flightllm.twin;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** Bit-exact comparison and hashing of logits. */
public final class Logits {
    private Logits() {
    }

    /** Fails (AssertionError) unless the two arrays hold the same FP32 bit patterns. */
    public static void assertBitIdentical(float[] expected, float[] actual, String where) {
        if (expected.length != actual.length) {
            throw new AssertionError(where + ": " + actual.length + " logits; expected " + expected.length);
        }
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
                throw new AssertionError(where + ": logit " + i + " is " + actual[i] + " (0x"
                        + Integer.toHexString(Float.floatToRawIntBits(actual[i])) + "); golden " + expected[i]
                        + " (0x" + Integer.toHexString(Float.floatToRawIntBits(expected[i])) + ")");
            }
        }
    }

    /** SHA-256 over the raw bits of every array, in order. */
    public static String hash(Iterable<float[]> rows) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (float[] r : rows) {
                for (float f : r) {
                    int b = Float.floatToRawIntBits(f);
                    md.update(new byte[] {(byte) b, (byte) (b >> 8), (byte) (b >> 16), (byte) (b >> 24)});
                }
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }
}
