package io.flightllm.twin;

import static org.assertj.core.api.Assertions.assertThat;

import io.flightllm.model.testing.SharedData;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.IntVector;
import org.junit.jupiter.api.Test;

/** The logits do not depend on the SIMD width: a forked JVM with -XX:UseAVX=2 (256-bit vectors) gives the same hash. */
class SimdWidthTest {
    @Test
    void avx2RunGivesTheSameLogitsHash() throws IOException, InterruptedException {
        SharedData.model("stories260K.bin"); // skip (or fail under CI) before forking when the data is absent
        String here = SimdScenario.logitsHash();
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-XX:UseAVX=2",
                "-cp", System.getProperty("java.class.path"), SimdScenario.class.getName());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        boolean done = p.waitFor(180, TimeUnit.SECONDS);
        if (!done) {
            p.destroyForcibly();
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(done).as("forked JVM finished").isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        System.out.printf("SIMD width: this JVM %d-bit int vectors, forked -XX:UseAVX=2 JVM: %s; hash %s%n",
                IntVector.SPECIES_PREFERRED.vectorBitSize(), line(out, "int-bits="), here);
        assertThat(line(out, "int-bits=")).as("the forked JVM really runs 256-bit vectors").isEqualTo("256");
        assertThat(line(out, "hash=")).isEqualTo(here);
    }

    private static String line(String out, String prefix) {
        return out.lines().filter(l -> l.startsWith(prefix)).map(l -> l.substring(prefix.length())).findFirst()
                .orElse("(missing in: " + out + ")");
    }
}
