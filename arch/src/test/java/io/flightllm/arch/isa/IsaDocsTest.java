package io.flightllm.arch.isa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** docs/isa.md's tables are exactly what the field table generates. */
class IsaDocsTest {
    static Path repoRoot() {
        String env = System.getenv("FLIGHTLLM_REPO_ROOT");
        if (env != null && !env.isBlank() && Files.isRegularFile(Path.of(env, "mvnw"))) {
            return Path.of(env);
        }
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.isRegularFile(p.resolve("mvnw"))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new IllegalStateException("no repository root above " + Path.of("").toAbsolutePath());
        }
        return p;
    }

    @Test
    void theCommittedPageMatchesTheFieldTable() throws IOException {
        Path page = repoRoot().resolve("docs/isa.md");
        String text = Files.readString(page, StandardCharsets.UTF_8);
        assertThat(text).as("docs/isa.md is stale: run IsaDocs docs/isa.md (see its javadoc)")
                .isEqualTo(IsaDocs.splice(text));
        for (Format f : Isa.formats()) {
            for (Field field : f.fields()) {
                String name = field.component() == null ? field.name() : "`" + field.name() + "`";
                assertThat(text).as(f.mnemonic() + " " + field.name()).contains("| " + name + " | "
                        + field.bitsText() + " |");
            }
        }
    }

    @Test
    void aStaleTableIsDetected() throws IOException {
        String text = Files.readString(repoRoot().resolve("docs/isa.md"), StandardCharsets.UTF_8);
        String stale = text.replace("| `k` | w0[17:6] |", "| `k` | w0[17:5] |");
        assertThat(stale).isNotEqualTo(text);
        assertThat(IsaDocs.splice(stale)).isNotEqualTo(stale).isEqualTo(text);
        assertThatThrownBy(() -> IsaDocs.splice("# no markers")).hasMessageContaining("markers");
    }
}
