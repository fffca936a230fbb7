package io.flightllm.compress;

import io.flightllm.arch.numerics.WeightQuantizer;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What to compress to: a bit width per linear kind (optionally cycled per decoder layer), one scale group size, and a
 * {@link DensityPlan} per linear kind. Invalid choices are refused with a message listing the valid ones.
 *
 * @param name        profile name for recipes ("paper", "w4", "custom")
 * @param bits        bit width per kind (every kind present)
 * @param layerBits   if non-empty, the decoder linears of layer i use {@code layerBits[i % size]} instead of
 *                    {@code bits} (the classifier keeps {@code bits}); this is how a mixed 3.5-bit profile is written
 * @param groupSize   columns per FP16 scale: a positive multiple of 16, clamped per matrix to its padded column count
 *                    ({@link #PER_ROW} = one scale per row)
 * @param density     density plan per kind (every kind present)
 * @param index       how sparse blocks' positions are stored ({@link IndexChoice#AUTO}: the cheaper encoding per
 *                    linear)
 */
public record CompressionProfile(String name, Map<LinearKind, Integer> bits, List<Integer> layerBits, int groupSize,
                                 Map<LinearKind, DensityPlan> density, IndexChoice index) {
    /** Group size meaning "one group per row" (G = K16). */
    public static final int PER_ROW = Integer.MAX_VALUE;
    /** The named profiles, in the order they are listed in messages. */
    public static final List<String> NAMES = List.of("w8", "w4", "w3", "w2", "w4s8", "mixed", "paper");

    public CompressionProfile {
        bits = Map.copyOf(bits);
        layerBits = List.copyOf(layerBits);
        density = Map.copyOf(density);
        java.util.Objects.requireNonNull(index, "index");
        for (LinearKind k : LinearKind.values()) {
            if (!bits.containsKey(k) || !density.containsKey(k)) {
                throw new IllegalArgumentException("profile " + name + ": no bit width or density plan for " + k.id());
            }
            WeightQuantizer.checkBits(bits.get(k));
        }
        layerBits.forEach(WeightQuantizer::checkBits);
        if (groupSize <= 0 || (groupSize != PER_ROW && groupSize % 16 != 0)) {
            throw new IllegalArgumentException("group size " + groupSize
                    + " is not supported; expected a positive multiple of 16 (16, 32, 64, 128, ...)");
        }
    }

    /** A profile with the same bits and density plan for every decoder linear; the classifier stays dense. */
    public static CompressionProfile uniform(String name, int bits, int groupSize, DensityPlan decoderDensity) {
        Map<LinearKind, Integer> b = new EnumMap<>(LinearKind.class);
        Map<LinearKind, DensityPlan> d = new EnumMap<>(LinearKind.class);
        for (LinearKind k : LinearKind.values()) {
            b.put(k, bits);
            d.put(k, k == LinearKind.CLASSIFIER ? new DensityPlan.Dense() : decoderDensity);
        }
        return new CompressionProfile(name, b, List.of(), groupSize, d, IndexChoice.AUTO);
    }

    /**
     * The named profiles. {@code paper} is DESIGN.md's: 4-bit, G = 128, q and k at mean density 0.7 (60% of their
     * blocks 8:16, 40% dense, in 64-row bands), everything else dense.
     */
    public static CompressionProfile named(String name) {
        DensityPlan dense = new DensityPlan.Dense();
        return switch (name) {
            case "w8" -> uniform("w8", 8, PER_ROW, dense);
            case "w4" -> uniform("w4", 4, 128, dense);
            case "w3" -> uniform("w3", 3, 128, dense);
            case "w2" -> uniform("w2", 2, 128, dense);
            case "w4s8" -> uniform("w4s8", 4, 128, new DensityPlan.Uniform(8));
            case "mixed" -> uniform("mixed", 4, 128, new DensityPlan.Uniform(8)).withLayerBits(List.of(4, 3));
            case "paper" -> uniform("paper", 4, 128, dense)
                    .withDensity(List.of(LinearKind.Q, LinearKind.K), new DensityPlan.Mixed(0.7, 64));
            default -> throw new IllegalArgumentException("profile '" + name + "' is unknown; expected one of "
                    + NAMES);
        };
    }

    public CompressionProfile withName(String newName) {
        return new CompressionProfile(newName, bits, layerBits, groupSize, density, index);
    }

    /** Every kind (classifier included) at {@code b} bits, no per-layer cycle. */
    public CompressionProfile withBits(int b) {
        WeightQuantizer.checkBits(b);
        Map<LinearKind, Integer> m = new EnumMap<>(LinearKind.class);
        for (LinearKind k : LinearKind.values()) {
            m.put(k, b);
        }
        return new CompressionProfile(name, m, List.of(), groupSize, density, index);
    }

    public CompressionProfile withLayerBits(List<Integer> cycle) {
        return new CompressionProfile(name, bits, cycle, groupSize, density, index);
    }

    public CompressionProfile withGroupSize(int g) {
        return new CompressionProfile(name, bits, layerBits, g, density, index);
    }

    /** The given kinds get {@code plan}. */
    public CompressionProfile withDensity(List<LinearKind> kinds, DensityPlan plan) {
        Map<LinearKind, DensityPlan> m = new EnumMap<>(density);
        kinds.forEach(k -> m.put(k, plan));
        return new CompressionProfile(name, bits, layerBits, groupSize, m, index);
    }

    /** Every decoder linear (not the classifier) gets {@code plan}. */
    public CompressionProfile withDecoderDensity(DensityPlan plan) {
        return withDensity(LinearKind.LAYER_KINDS, plan);
    }

    public CompressionProfile withIndex(IndexChoice choice) {
        return new CompressionProfile(name, bits, layerBits, groupSize, density, choice);
    }

    public int bitsFor(int layer, LinearKind kind) {
        if (kind != LinearKind.CLASSIFIER && !layerBits.isEmpty()) {
            return layerBits.get(layer % layerBits.size());
        }
        return bits.get(kind);
    }

    /** G for a matrix with {@code cols} columns: the profile's G clamped to K16. */
    public int groupFor(int cols) {
        return Math.min(groupSize, CompressedLinear.ceil16(cols));
    }

    public DensityPlan densityFor(LinearKind kind) {
        return density.get(kind);
    }

    /** One line for the recipe: "paper: q,k 4-bit mean 0.70 ...; G=128". */
    public String describe() {
        List<String> parts = new ArrayList<>();
        Map<String, List<String>> byRule = new java.util.LinkedHashMap<>();
        for (LinearKind k : LinearKind.values()) {
            String b = k != LinearKind.CLASSIFIER && !layerBits.isEmpty()
                    ? "bits per layer " + layerBits.toString().replace(" ", "") : bits.get(k) + "-bit";
            byRule.computeIfAbsent(b + " " + density.get(k).describe(), x -> new ArrayList<>()).add(k.id());
        }
        byRule.forEach((rule, kinds) -> parts.add(String.join(",", kinds) + " " + rule));
        return String.format(Locale.ROOT, "%s: %s; G=%s%s", name, String.join("; ", parts),
                groupSize == PER_ROW ? "K16" : Integer.toString(groupSize),
                index == IndexChoice.AUTO ? "" : "; indices " + index.id());
    }
}
