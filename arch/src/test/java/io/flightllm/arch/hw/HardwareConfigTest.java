package io.flightllm.arch.hw;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HardwareConfigTest {

    @Test
    void presetsCarryThePaperParameters() {
        HardwareConfig u280 = HardwareConfigs.preset("u280");
        assertThat(u280.cores()).isEqualTo(3);
        assertThat(u280.hbm().channels()).isEqualTo(32);
        assertThat(u280.hbm().peakGBps()).isEqualTo(460.0);
        assertThat(u280.mpe().mmMacsPerCycle()).isEqualTo(4096);
        assertThat(u280.mpe().mvMacsPerCycle()).isEqualTo(1024);
        // Two INT8 MACs per DSP in MM mode: 2048 per core, 6144 for three cores (the board used 6,345 with the SFU).
        assertThat(u280.mpeDsps()).isEqualTo(6144);
        assertThat(u280.device().dsp()).isGreaterThan(u280.mpeDsps());

        HardwareConfig vhk = HardwareConfigs.preset("VHK158");
        assertThat(vhk.cores()).isEqualTo(4);
        assertThat(vhk.hbm().capacityBytes()).isEqualTo(32L << 30);
        assertThat(vhk.device()).isNull();
        // 4 cores x 1024 MAC/cycle x 225 MHz
        assertThat(vhk.peakMvMacsPerSecond()).isEqualTo(4 * 1024 * 225e6);
    }

    @ParameterizedTest
    @CsvSource({"3,32", "4,32", "1,32", "5,32", "32,32", "2,3"})
    void channelsAreSplitIntoContiguousRangesCoveringEveryChannelOnce(int cores, int channels) {
        HardwareConfig c = HardwareConfigs.withOverrides(HardwareConfigs.preset("u280"),
                Map.of("cores", "" + cores, "hbm.channels", "" + channels, "hbm.capacityBytes", "" + channels * 1024L));
        int[] all = IntStream.range(0, cores).flatMap(core -> Arrays.stream(c.channelsOf(core))).toArray();
        assertThat(all).containsExactly(IntStream.range(0, channels).toArray());
        for (int core = 0; core < cores; core++) {
            int[] mine = c.channelsOf(core);
            assertThat(mine.length).isBetween(channels / cores, channels / cores + 1);
            for (int ch : mine) {
                assertThat(c.coreOfChannel(ch)).isEqualTo(core);
            }
        }
    }

    @Test
    void u280SplitsElevenElevenTen() {
        HardwareConfig u280 = HardwareConfigs.preset("u280");
        assertThat(u280.channelsOf(0)).hasSize(11);
        assertThat(u280.channelsOf(1)).hasSize(11);
        assertThat(u280.channelsOf(2)).hasSize(10).startsWith(22).endsWith(31);
    }

    @Test
    void jsonRoundTripGivesTheSameConfig() {
        for (String p : HardwareConfigs.PRESETS) {
            HardwareConfig c = HardwareConfigs.preset(p);
            assertThat(HardwareConfigs.parse(HardwareConfigs.toJson(c), p, false)).isEqualTo(c);
        }
    }

    @Test
    void aFileOverridesAPresetFieldByField(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("two-core.json");
        Files.writeString(f, "{\"base\": \"u280\", \"cores\": 2, \"mpe\": {\"mvRows\": 128}}");
        HardwareConfig c = HardwareConfigs.resolve(f.toString());
        HardwareConfig u280 = HardwareConfigs.preset("u280");
        assertThat(c.name()).isEqualTo("two-core");
        assertThat(c.cores()).isEqualTo(2);
        assertThat(c.mpe().mvRows()).isEqualTo(128);
        assertThat(c.mpe().mvK()).isEqualTo(u280.mpe().mvK());
        assertThat(c.hbm()).isEqualTo(u280.hbm());
    }

    @Test
    void yamlFilesLoadToo(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("tiny.yaml");
        Files.writeString(f, """
                base: vhk158
                name: tiny
                cores: 2
                hbm:
                  channels: 4
                  capacityBytes: 1073741824
                buffers:
                  aBytes: 65536
                """);
        HardwareConfig c = HardwareConfigs.load(f);
        assertThat(c.name()).isEqualTo("tiny");
        assertThat(c.hbm().channels()).isEqualTo(4);
        assertThat(c.buffers().aBytes()).isEqualTo(65536);
        assertThat(c.clockMhz()).isEqualTo(225.0);
    }

    @Test
    void zeroChannelsIsRefusedNamingTheField() {
        assertRefused("{\"base\":\"u280\",\"hbm\":{\"channels\":0}}", "hbm.channels = 0; expected >= 1");
    }

    @Test
    void aBufferTooSmallForATileIsRefused() {
        assertRefused("{\"base\":\"u280\",\"buffers\":{\"bBytes\":512}}",
                "buffers.bBytes = 512 is too small for one INT8 weight tile of the MPE; expected >= 2048");
    }

    @Test
    void anUnsupportedDensityIsRefusedListingTheChoices() {
        assertRefused("{\"base\":\"u280\",\"mpe\":{\"sparseModes\":[3,16]}}",
                "mpe.sparseModes contains 3; expected a subset of [0, 2, 4, 8, 16]");
        assertRefused("{\"base\":\"u280\",\"mpe\":{\"sparseModes\":[0,8]}}", "lacks 16 (dense)");
        assertRefused("{\"base\":\"u280\",\"mpe\":{\"weightBits\":[5,8]}}", "mpe.weightBits contains 5");
    }

    @Test
    void badShapesAndFieldsAreRefusedNamingThem() {
        assertRefused("{\"base\":\"u280\",\"mpe\":{\"mvK\":24}}", "mpe.mvK = 24; expected a positive multiple of 16");
        assertRefused("{\"base\":\"u280\",\"cores\":40}", "cores = 40 exceeds hbm.channels = 32");
        assertRefused("{\"base\":\"u280\",\"hbm\":{\"ownChannelEfficiency\":1.5}}",
                "hbm.ownChannelEfficiency = 1.5; expected a value in (0, 1]");
        assertRefused("{\"base\":\"u280\",\"mpe\":{\"mvRowz\":1}}", "unknown field 'mpe.mvRowz'");
        assertRefused("{\"base\":\"u280\",\"cores\":\"three\"}", "field 'cores'");
        assertRefused("{\"base\":\"u999\"}", "unknown preset 'u999'; expected one of [u280, vhk158]");
        assertRefused("{\"base\":\"u280\",", "not valid JSON");
        assertRefused("{\"name\":\"x\",\"cores\":1,\"hbm\":{\"channels\":2}}",
                "missing field(s) clockMhz, hbm.capacityBytes, hbm.peakGBps");
    }

    @Test
    void severalErrorsAreReportedTogether() {
        assertRefused("{\"base\":\"u280\",\"cores\":0,\"clockMhz\":-1}", "cores = 0; expected >= 1",
                "clockMhz = -1.0; expected a finite value > 0");
    }

    @Test
    void overridesNameUnknownFields() {
        HardwareConfig u280 = HardwareConfigs.preset("u280");
        assertThatThrownBy(() -> HardwareConfigs.withOverrides(u280, Map.of("mpe.rows", "4")))
                .isInstanceOf(HardwareConfigException.class).hasMessageContaining("no field 'rows'")
                .hasMessageContaining("mvRows");
        assertThat(HardwareConfigs.withOverrides(u280, Map.of("clockMhz", "300")).clockMhz()).isEqualTo(300.0);
    }

    @Test
    void unknownTargetsAndOversizedFilesAreRefused(@TempDir Path dir) throws IOException {
        assertThatThrownBy(() -> HardwareConfigs.resolve(dir.resolve("nope.json").toString()))
                .hasMessageContaining("expected a preset [u280, vhk158]");
        Path big = dir.resolve("big.json");
        Files.write(big, new byte[(1 << 20) + 1]);
        assertThatThrownBy(() -> HardwareConfigs.load(big)).hasMessageContaining("under 1 MiB");
    }

    private static void assertRefused(String json, String... fragments) {
        var thrown = assertThatThrownBy(() -> HardwareConfigs.parse(json, "test.json", false))
                .isInstanceOf(HardwareConfigException.class).hasMessageContaining("test.json");
        for (String f : fragments) {
            thrown.hasMessageContaining(f);
        }
    }
}
