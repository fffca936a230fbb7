package io.flightllm.arch.isa;

/** How the META buffer encodes the kept columns of each sparse row segment (0 &lt; N &lt; 16). */
public enum IndexEncoding {
    /** N 4-bit column positions, ascending, two per byte (first in the low nibble), as in the .flm. */
    POS4,
    /** One 16-bit little-endian mask per segment, bit c set when column c is kept (popcount N). */
    MASK16
}
