package io.flightllm.compiler;

import io.flightllm.arch.hw.HardwareConfig;
import io.flightllm.arch.hw.HardwareConfigs;
import io.flightllm.arch.numerics.IndexEncoding;
import io.flightllm.arch.program.FlpReader;
import io.flightllm.arch.program.Program;
import io.flightllm.compiler.pack.WeightFeed;
import io.flightllm.compiler.plan.RowTile;
import io.flightllm.compiler.plan.WeightTile;
import io.flightllm.compiler.shape.ModelShape;
import io.flightllm.compress.CompressedLinear;
import io.flightllm.compress.CompressedModel;
import io.flightllm.compress.CompressionProfile;
import io.flightllm.compress.IndexChoice;
import io.flightllm.compress.LinearCompressor;
import io.flightllm.compress.LinearKind;
import io.flightllm.compress.ModelCompressor;
import io.flightllm.compress.ModelWeightSource;
import io.flightllm.model.Model;
import io.flightllm.model.loader.ModelLoader;
import io.flightllm.model.testing.SharedData;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The weight image of a written .flp decodes back to exactly the compressed weights, tile by tile. */
class WeightImageTest {

    static CompressedModel stories(String profile) {
        CompressionProfile p = profile.endsWith("-positions")
                ? CompressionProfile.named(profile.replace("-positions", "")).withIndex(IndexChoice.POSITIONS4)
                : CompressionProfile.named(profile);
        try (Model m = ModelLoader.load(SharedData.model("stories260K.bin"))) {
            return new ModelCompressor(p, LinearCompressor.roundToNearest(), "rtn")
                    .toModel(new ModelWeightSource(m), null, (l, k, d, t) -> { });
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"w8", "w4s8", "w4s8-positions", "mixed"})
    void everyTileDecodesToTheCompressedWeights(String profile, @TempDir Path dir) {
        CompressedModel cm = stories(profile);
        HardwareConfig hw = HardwareConfigs.preset("u280");
        Compiler c = new Compiler(ModelShape.of(cm), new CompileOptions(hw, 512, 128, 64, false));
        Path f = dir.resolve("s.flp");
        StorageReport r = c.write(WeightFeed.of(cm), f, Compiler.Progress.NONE);
        assertThat(r.weightImageBytes()).isPositive();
        WeightFeed feed = WeightFeed.of(cm);
        try (Arena arena = Arena.ofConfined()) {
            FlpReader reader = FlpReader.open(f, arena);
            Program p = reader.program();
            MemorySegment[] ch = new MemorySegment[hw.hbm().channels()];
            p.weightImage().forEach((k, v) -> ch[k] = reader.payload(v));
            int checked = 0;
            for (int l = -1; l < cm.layers().size(); l++) {
                for (LinearKind kind : l < 0 ? java.util.List.of(LinearKind.CLASSIFIER) : LinearKind.LAYER_KINDS) {
                    CompressedLinear w = feed.linear(l, kind);
                    for (int core = 0; core < hw.cores(); core++) {
                        for (RowTile rt : c.weightLayout().rowTiles(l, kind, core)) {
                            checkRowTile(rt, w, ch);
                            checked++;
                        }
                    }
                }
            }
            assertThat(checked).isGreaterThan(cm.layers().size() * 7);
            if (profile.equals("w4s8")) { // auto picks masks for 8:16 at 4 bits: the image must use them
                assertThat(c.weightLayout().rowTiles(0, LinearKind.Q, 0).get(0).kTiles().get(0).indexEncoding())
                        .isEqualTo(IndexEncoding.MASK16);
            }
        }
    }

    /** Decodes one row tile (values stream, positions, densities, scales) and compares with the logical weights. */
    private static void checkRowTile(RowTile rt, CompressedLinear w, MemorySegment[] ch) {
        var f16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        assertThat(rt.scaleParts().stream().mapToInt(RowTile.ScalePart::rowBlocks).sum()).isEqualTo(rt.rowBlocks());
        for (RowTile.ScalePart part : rt.scaleParts()) {
            for (int r = 0; r < part.rowBlocks() * 16; r++) {
                int row = part.rowBlock0() * 16 + r;
                for (int g = 0; g < w.groups(); g++) {
                    short s = ch[part.channel()].get(f16, part.address() + 2L * (r * w.groups() + g));
                    assertThat(s).as("%s scale r%d g%d", w.name(), row, g)
                            .isEqualTo(w.scaleBits()[row * w.groups() + g]);
                }
            }
        }
        for (WeightTile t : rt.kTiles()) {
            MemorySegment home = ch[t.channel()];
            assertThat(t.stripes().stream().mapToInt(WeightTile.Stripe::rowBlocks).sum()).isEqualTo(t.rowBlocks());
            int mask = (1 << t.bits()) - 1;
            for (WeightTile.Stripe st : t.stripes()) {
                MemorySegment seg = ch[st.channel()];
                long bit = 0;
                long nib = 0;
                long masks = 0;
                for (int rb = st.rowBlock0(); rb < st.rowBlock0() + st.rowBlocks(); rb++) {
                    for (int r = rb * 16; r < rb * 16 + 16; r++) {
                        for (int cb = t.colBlock0(); cb < t.colBlock0() + t.colBlocks(); cb++) {
                            int n = home.get(ValueLayout.JAVA_BYTE, t.densitiesAddress()
                                    + (long) (rb - t.rowBlock0()) * t.colBlocks() + (cb - t.colBlock0()));
                            assertThat(n).isEqualTo(w.density(rb, cb));
                            int[] cols = new int[n];
                            if (n > 0 && n < 16 && t.indexEncoding() == IndexEncoding.MASK16) {
                                int m = seg.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN),
                                        st.positionsAddress() + 2 * masks) & 0xffff;
                                masks++;
                                assertThat(Integer.bitCount(m)).isEqualTo(n);
                                for (int c = 0, i = 0; c < 16; c++) {
                                    if ((m >> c & 1) != 0) {
                                        cols[i++] = c;
                                    }
                                }
                            } else {
                                for (int i = 0; i < n; i++) {
                                    if (n == 16) {
                                        cols[i] = i;
                                    } else {
                                        int b = seg.get(ValueLayout.JAVA_BYTE, st.positionsAddress() + (nib >> 1))
                                                & 0xff;
                                        cols[i] = (nib & 1) == 0 ? b & 0xf : b >> 4;
                                        nib++;
                                    }
                                }
                            }
                            for (int i = 0; i < n; i++) {
                                long v = 0;
                                for (int k = 0; k < t.bits(); k++, bit++) {
                                    int b = seg.get(ValueLayout.JAVA_BYTE, st.valuesAddress() + (bit >> 3)) & 0xff;
                                    v |= (long) ((b >> (bit & 7)) & 1) << k;
                                }
                                int value = (int) (v << (32 - t.bits())) >> (32 - t.bits()); // sign extend
                                assertThat(value & mask).isEqualTo((int) v);
                                assertThat(value).as("%s r%d c%d", w.name(), r, cb * 16 + cols[i])
                                        .isEqualTo(w.weight(r, cb * 16 + cols[i]));
                            }
                        }
                    }
                }
                assertThat(bit).isEqualTo(st.keptValues() * t.bits());
                assertThat(st.keptValues() * t.bits() % 8).as("stripe values end on a byte").isZero();
            }
        }
    }
}
