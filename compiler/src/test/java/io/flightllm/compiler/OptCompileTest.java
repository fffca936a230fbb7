package io.flightllm.compiler;

import io.flightllm.arch.hw.HardwareConfig;
import io.flightllm.arch.hw.HardwareConfigs;
import io.flightllm.arch.isa.Buffer;
import io.flightllm.arch.isa.CoreStreams;
import io.flightllm.arch.isa.Instruction;
import io.flightllm.arch.isa.Ld;
import io.flightllm.arch.isa.Misc;
import io.flightllm.arch.isa.MiscOp;
import io.flightllm.arch.isa.Mm;
import io.flightllm.arch.isa.Mv;
import io.flightllm.arch.isa.check.CheckReport;
import io.flightllm.arch.isa.check.ProgramChecker;
import io.flightllm.compiler.shape.LinearShape;
import io.flightllm.compiler.shape.ModelShape;
import io.flightllm.compress.CompressionProfile;
import io.flightllm.compress.LinearKind;
import io.flightllm.model.BuiltinModels;
import io.flightllm.model.ModelConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** OPT through the compiler: LayerNorm with its bias row, linear biases, ReLU on fc1, no RoPE, no W3 or SiLU. */
class OptCompileTest {

    /** A small pre-norm OPT: 6 heads of 12 (padded to 16), widths that are not multiples of 16. */
    static ModelConfig tinyOpt(boolean normBefore, int embedDim) {
        return new ModelConfig(ModelConfig.Family.OPT, 72, 200, 2, 6, 6, 100, 64, 12, 1e-5f, 0f,
                ModelConfig.NormKind.LAYER_NORM, ModelConfig.MlpKind.RELU, ModelConfig.PositionKind.LEARNED, true,
                true, true, 2, List.of(2), embedDim, normBefore, normBefore).validate("tiny OPT");
    }

    private static HardwareConfig target(String name) {
        return name.equals("tiny") ? CompilerCheckTest.tiny() : HardwareConfigs.preset(name);
    }

    @ParameterizedTest
    @CsvSource({"u280,w8", "vhk158,w4s8", "tiny,mixed", "u280,paper"})
    void everyBucketOfATinyOptPassesTheChecker(String target, String profile) {
        HardwareConfig hw = target(target);
        ModelShape shape = ModelShape.fromProfile(tinyOpt(true, 72), CompressionProfile.named(profile));
        Compiler c = new Compiler(shape, new CompileOptions(hw, 64, 16, 16, true));
        for (int ctx : c.buckets().decodeLengths()) {
            check(c, hw, false, 1, ctx);
        }
        for (int ctx : c.buckets().prefillLengths()) {
            check(c, hw, true, c.prefillChunkRows(), ctx);
        }
    }

    @Test
    void theShapeHasBiasesEverywhereButTheClassifierAndNoW3() {
        ModelShape shape = ModelShape.fromProfile(tinyOpt(true, 72), CompressionProfile.named("w8"));
        assertThat(shape.layerKinds()).containsExactly(LinearKind.Q, LinearKind.K, LinearKind.V, LinearKind.O,
                LinearKind.W1, LinearKind.W2);
        assertThat(shape.linear(0, LinearKind.W3)).isNull();
        for (int l = 0; l < shape.layerCount(); l++) {
            for (LinearKind k : shape.layerKinds()) {
                assertThat(shape.linear(l, k).bias()).as("%s of layer %d", k, l).isTrue();
            }
        }
        assertThat(shape.classifier().bias()).isFalse();
        assertThat(shape.normBias()).isTrue();
    }

    /**
     * The decode and prefill streams: LAYERNORM with a bias row loaded from the norms region, no RMSNORM, ROPE or
     * SILU; every decoder linear's last tile adds a bias loaded into the BIAS buffer, fc1's also applies relu, and
     * no other tile (the classifier's included) does either.
     */
    @ParameterizedTest
    @CsvSource({"false", "true"})
    void theStreamsUseTheOptPaths(boolean prefill) {
        HardwareConfig hw = HardwareConfigs.preset("u280");
        ModelShape shape = ModelShape.fromProfile(tinyOpt(true, 72), CompressionProfile.named("w8"));
        Compiler c = new Compiler(shape, new CompileOptions(hw, 64, 16, 16, true));
        int rows = prefill ? c.prefillChunkRows() : 1;
        List<Instruction> all = new ArrayList<>();
        c.emit(prefill, rows, 32).forEach(all::addAll);
        List<MiscOp> ops = all.stream().filter(i -> i instanceof Misc).map(i -> ((Misc) i).op()).toList();
        assertThat(ops).contains(MiscOp.LAYERNORM).doesNotContain(MiscOp.RMSNORM, MiscOp.ROPE, MiscOp.SILU);
        // one norm per core per layer and norm kind with rows of its own (prefill splits rows over the cores)
        long norms = all.stream().filter(i -> i instanceof Misc m && m.op() == MiscOp.LAYERNORM).count();
        assertThat(norms).isBetween(2L * shape.layerCount() + 1, (long) hw.cores() * (2 * shape.layerCount() + 1));
        all.stream().filter(i -> i instanceof Misc m && m.op() == MiscOp.LAYERNORM)
                .forEach(i -> assertThat(((Misc) i).c()).as("the bias row address").isNotEqualTo(((Misc) i).b()));
        long biasLoads = all.stream().filter(i -> i instanceof Ld l && l.target() == Buffer.BIAS).count();
        int lastTiles = 0;
        int biased = 0;
        int relus = 0;
        for (Instruction i : all) {
            boolean last;
            boolean bias;
            boolean relu;
            if (i instanceof Mv v) {
                last = v.last();
                bias = v.bias();
                relu = v.relu();
            } else if (i instanceof Mm m) {
                last = m.last();
                bias = m.bias();
                relu = m.relu();
            } else {
                continue;
            }
            lastTiles += last ? 1 : 0;
            biased += bias ? 1 : 0;
            relus += relu ? 1 : 0;
            assertThat(last || !(bias || relu)).as("bias and relu only on last tiles").isTrue();
            assertThat(!relu || bias).as("relu comes with fc1's bias").isTrue();
        }
        // every weight row tile of the decoder ends in one biased last tile, loaded once
        assertThat(biased).isPositive().isEqualTo((int) biasLoads);
        assertThat(relus).isPositive().isLessThan(biased);
        assertThat(lastTiles).isGreaterThan(biased); // attention's tiles and the classifier have none
    }

    @Test
    void theWeightImageHoldsTheNormBiasRows() {
        HardwareConfig hw = HardwareConfigs.preset("u280");
        ModelShape opt = ModelShape.fromProfile(tinyOpt(true, 72), CompressionProfile.named("w8"));
        Compiler c = new Compiler(opt, new CompileOptions(hw, 64, 16, 16, true));
        var norms = c.memoryPlan().region("norms", 0);
        assertThat(norms.shape()).containsExactly(2L * (2 * opt.layerCount() + 1), 80L);
    }

    @Test
    void postNormAndProjectingModelsAreRefusedNamingTheField() {
        CompressionProfile p = CompressionProfile.named("w8");
        HardwareConfig hw = HardwareConfigs.preset("u280");
        assertThatThrownBy(() -> new Compiler(ModelShape.fromProfile(tinyOpt(false, 72), p),
                new CompileOptions(hw, 64, 16, 16, true)))
                .isInstanceOf(CompileException.class).hasMessageContaining("do_layer_norm_before")
                .hasMessageContaining("post-norm");
        assertThatThrownBy(() -> new Compiler(ModelShape.fromProfile(tinyOpt(true, 48), p),
                new CompileOptions(hw, 64, 16, 16, true)))
                .isInstanceOf(CompileException.class).hasMessageContaining("word_embed_proj_dim) is 48");
    }

    /** OPT-6.7B's widths with two layers on both presets: 16384-row fc1 with relu, biases on 11 heads per core. */
    @ParameterizedTest
    @CsvSource({"u280", "vhk158"})
    void aTwoLayerSliceOfOpt6_7bPassesTheChecker(String target) {
        HardwareConfig hw = HardwareConfigs.preset(target);
        ModelConfig full = BuiltinModels.get("opt-6.7b");
        ModelConfig slice = new ModelConfig(full.family(), full.dim(), full.hiddenDim(), 2, full.nHeads(),
                full.nKvHeads(), full.vocabSize(), full.seqLen(), full.headSize(), full.normEps(), full.ropeTheta(),
                full.norm(), full.mlp(), full.positions(), true, true, true, 2, List.of(2), full.dim(), true, true);
        Compiler c = new Compiler(ModelShape.fromProfile(slice, CompressionProfile.named("paper")),
                new CompileOptions(hw, 2048, 128, 32, true));
        check(c, hw, false, 1, 2048);
        check(c, hw, true, c.prefillChunkRows(), 512);
        LinearShape fc1 = ModelShape.fromProfile(slice, CompressionProfile.named("paper")).linear(0, LinearKind.W1);
        assertThat(fc1.rows()).isEqualTo(16384);
    }

    private static void check(Compiler c, HardwareConfig hw, boolean prefill, int rows, int ctx) {
        List<List<Instruction>> streams = c.emit(prefill, rows, ctx);
        CheckReport r = ProgramChecker.check(new CoreStreams(streams), CompilerCheckTest.limits(c, hw, rows));
        assertThat(r.violations()).as("%s rows %d ctx %d", prefill ? "prefill" : "decode", rows, ctx).isEmpty();
    }
}
