package io.flightllm.compress.flm;

import static org.assertj.core.api.Assertions.assertThat;

import io.flightllm.compress.CompressedLinear;
import io.flightllm.compress.CompressedModel;
import io.flightllm.compress.CompressionProfile;
import io.flightllm.compress.DensityPlan;
import io.flightllm.compress.IndexChoice;
import io.flightllm.compress.LinearCompressor;
import io.flightllm.compress.ModelCompressor;
import io.flightllm.compress.ModelWeightSource;
import io.flightllm.compress.RandomWeightSource;
import io.flightllm.compress.WeightBytes;
import io.flightllm.model.Model;
import io.flightllm.model.loader.ModelLoader;
import io.flightllm.model.testing.SharedData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FlmRoundTripTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"w8", "w4s8", "mixed", "paper", "w2"})
    void stories260KWritesAndReadsBackExactly(String profile) throws Exception {
        ModelCompressor mc = new ModelCompressor(CompressionProfile.named(profile),
                LinearCompressor.roundToNearest(), "rtn");
        Path streamed = dir.resolve("streamed.flm");
        CompressedModel inMemory;
        WeightBytes counted;
        try (Model m = ModelLoader.load(SharedData.model("stories260K.bin"))) {
            inMemory = mc.toModel(new ModelWeightSource(m), null, (l, k, d, t) -> { });
            try (FlmWriter w = FlmWriter.create(streamed)) {
                counted = mc.run(new ModelWeightSource(m), null, w, (l, k, d, t) -> { });
            }
        }
        Path fromMemory = dir.resolve("m.flm");
        FlmWriter.write(inMemory, fromMemory);

        CompressedModel back = FlmReader.read(fromMemory);
        FlmTestFiles.assertSameModel(inMemory, back);
        // streaming the pipeline into the writer gives the same bytes as writing the finished model
        assertThat(Files.readAllBytes(streamed)).isEqualTo(Files.readAllBytes(fromMemory));
        assertThat(dir.toFile().list()).containsExactlyInAnyOrder("streamed.flm", "m.flm"); // no temp files left

        // the pipeline's byte counts are the stored payload sizes
        FlmManifest man = FlmReader.inspect(fromMemory).manifest();
        Map<String, Long> bySuffix = new HashMap<>();
        Set<String> linearNames = back.linears().stream().map(CompressedLinear::name).collect(Collectors.toSet());
        for (FlmManifest.Payload p : man.payloads()) {
            assertThat(p.offset() % 64).as(p.name()).isZero();
            String owner = p.name().substring(0, p.name().lastIndexOf('.') < 0 ? 0 : p.name().lastIndexOf('.'));
            if (linearNames.contains(owner)) {
                bySuffix.merge(p.name().substring(owner.length() + 1), p.length(), Long::sum);
            }
        }
        assertThat(bySuffix.get("values")).isEqualTo(counted.values());
        assertThat(bySuffix.getOrDefault("positions", 0L) + bySuffix.getOrDefault("masks", 0L))
                .isEqualTo(counted.indices());
        assertThat(bySuffix.get("densities")).isEqualTo(counted.densities());
        assertThat(bySuffix.get("scales")).isEqualTo(counted.scales());
        assertThat(man.config()).isEqualTo(inMemory.config());
        assertThat(man.paddedHeadSize()).isEqualTo(16); // stories260K heads are 8 wide
    }

    @ParameterizedTest
    @ValueSource(strings = {"w4", "w3", "mixed"})
    void tinyRandomModelsRoundTrip(String profile) {
        CompressedModel m = FlmTestFiles.tinyModel(profile);
        Path f = dir.resolve("t.flm");
        FlmWriter.write(m, f);
        FlmTestFiles.assertSameModel(m, FlmReader.read(f));
    }

    @Test
    void emptyBlocksAndLowMixedDensitiesRoundTrip() {
        for (DensityPlan plan : List.of(new DensityPlan.Uniform(0),
                new DensityPlan.Uniform(2), new DensityPlan.Uniform(4), new DensityPlan.Mixed(0.3, 16))) {
            for (IndexChoice index : IndexChoice.values()) {
                CompressedModel m = new ModelCompressor(CompressionProfile.named("w3").withDecoderDensity(plan)
                        .withIndex(index), LinearCompressor.roundToNearest(), "rtn").toModel(
                        new RandomWeightSource(FlmTestFiles.TINY, 9), null, (l, k, d, t) -> { });
                Path f = dir.resolve("e.flm");
                FlmWriter.write(m, f);
                FlmTestFiles.assertSameModel(m, FlmReader.read(f));
            }
        }
    }

    /** Both index encodings store the same positions; masks take half the index bytes at 8:16. */
    @Test
    void masksAndPositionsStoreTheSamePositions() throws Exception {
        CompressedModel pos = FlmTestFiles.tinyModel("w4s8", IndexChoice.POSITIONS4);
        CompressedModel mask = FlmTestFiles.tinyModel("w4s8", IndexChoice.MASK16);
        Path fp = dir.resolve("p.flm");
        Path fm = dir.resolve("m.flm");
        FlmWriter.write(pos, fp);
        FlmWriter.write(mask, fm);
        CompressedModel back = FlmReader.read(fm);
        FlmTestFiles.assertSameModel(mask, back);
        FlmTestFiles.assertSameModel(pos, FlmReader.read(fp));
        long posBytes = 0;
        long maskBytes = 0;
        for (int i = 0; i < pos.linears().size(); i++) {
            CompressedLinear p = pos.linears().get(i);
            CompressedLinear q = back.linears().get(i);
            assertThat(q.positions()).as(p.name()).isEqualTo(p.positions());
            if (p.positions().length > 0) {
                assertThat(q.indexEncoding()).isEqualTo(io.flightllm.arch.numerics.IndexEncoding.MASK16);
            }
            posBytes += FlmLayout.indexBytes(p);
            maskBytes += FlmLayout.indexBytes(q);
        }
        assertThat(posBytes).isPositive().isEqualTo(2 * maskBytes);
        assertThat(Files.size(fm)).isLessThan(Files.size(fp));
        assertThat(FlmReader.inspect(fm).manifest().payloads().stream().map(FlmManifest.Payload::name))
                .anyMatch(n -> n.endsWith(".masks")).noneMatch(n -> n.endsWith(".positions"));
    }
}
