package io.flightllm.model.gguf;

import io.flightllm.model.DType;
import java.util.List;

/** ggml tensor type ids as stored in GGUF tensor infos, and which of them map onto a {@link DType}. */
public final class GgmlType {
    public static final int F32 = 0;
    public static final int F16 = 1;
    public static final int Q4_0 = 2;
    public static final int Q8_0 = 8;
    public static final int BF16 = 30;

    /** The types this reader maps onto {@link DType}, for error messages. */
    public static final List<String> SUPPORTED = List.of("F32", "F16", "BF16", "Q8_0", "Q4_0");

    private GgmlType() {
    }

    /** The DType of ggml type {@code id}, or null when it has none here. */
    public static DType toDType(int id) {
        return switch (id) {
            case F32 -> DType.F32;
            case F16 -> DType.F16;
            case BF16 -> DType.BF16;
            case Q8_0 -> DType.Q8_0;
            case Q4_0 -> DType.Q4_0;
            default -> null;
        };
    }

    public static int idOf(DType type) {
        return switch (type) {
            case F32 -> F32;
            case F16 -> F16;
            case BF16 -> BF16;
            case Q8_0 -> Q8_0;
            case Q4_0 -> Q4_0;
            case Q8_GROUP -> throw new IllegalArgumentException("Q8_GROUP has no GGUF type; write it as Q8_0 or F32");
        };
    }

    /** A readable name of ggml type {@code id} (the common ones by name, others by number). */
    public static String name(int id) {
        return switch (id) {
            case F32 -> "F32";
            case F16 -> "F16";
            case Q4_0 -> "Q4_0";
            case 3 -> "Q4_1";
            case 6 -> "Q5_0";
            case 7 -> "Q5_1";
            case Q8_0 -> "Q8_0";
            case 9 -> "Q8_1";
            case 10 -> "Q2_K";
            case 11 -> "Q3_K";
            case 12 -> "Q4_K";
            case 13 -> "Q5_K";
            case 14 -> "Q6_K";
            case 15 -> "Q8_K";
            case BF16 -> "BF16";
            default -> "ggml type " + id;
        };
    }
}
