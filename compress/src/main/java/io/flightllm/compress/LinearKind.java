package io.flightllm.compress;

import java.util.Locale;

/** Which linear layer of a decoder a weight matrix is (LLaMA names: w1 = gate, w3 = up, w2 = down). */
public enum LinearKind {
    Q, K, V, O, W1, W2, W3, CLASSIFIER;

    /** The decoder-layer kinds in their fixed order (the order of {@link CompressedLayer#linears()}). */
    public static final java.util.List<LinearKind> LAYER_KINDS = java.util.List.of(Q, K, V, O, W1, W2, W3);

    /** Lower-case name as used in manifests, profiles and CLI flags ("q", "w1", "classifier"). */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static LinearKind fromId(String id) {
        for (LinearKind k : values()) {
            if (k.id().equals(id)) {
                return k;
            }
        }
        throw new IllegalArgumentException("linear kind '" + id + "' is unknown; expected one of "
                + java.util.Arrays.stream(values()).map(LinearKind::id).toList());
    }

    /** The tensor name of this kind in layer {@code layer} ("layers.3.wq"; "classifier" for the classifier). */
    public String tensorName(int layer) {
        return switch (this) {
            case CLASSIFIER -> "classifier";
            case W1, W2, W3 -> "layers." + layer + "." + id();
            default -> "layers." + layer + ".w" + id();
        };
    }
}
