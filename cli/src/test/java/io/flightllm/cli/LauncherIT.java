package io.flightllm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.flightllm.model.testing.SharedData;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end: the {@code ./flightllm} launcher as a user runs it, under an empty environment, on the jar that
 * {@code package} built (run by failsafe in the integration-test phase, so the launcher finds the jar fresh).
 */
class LauncherIT {
    static final String PROMPT = "Lily's café 🐶 said: hi!";

    @TempDir
    Path work;

    @BeforeAll
    static void jarIsBuilt() {
        assertThat(SharedData.repoRoot().resolve("cli/target/flightllm.jar")).isRegularFile();
    }

    static String model(String name) {
        return SharedData.model(name).toString();
    }

    /** Stderr of a successful run: only the timing line; no JVM warning, no rebuild. */
    static void cleanStderr(Launcher.Result r) {
        assertThat(r.err()).doesNotContain("WARNING").doesNotContain("building the jar");
        assertThat(r.errLines()).singleElement().asString().startsWith("prompt: ");
    }

    /** Running out of heap is one line and exit 1, and leaves neither the program nor a temporary file. */
    @Test
    void outOfMemoryIsOneLineAndLeavesNoFile() throws IOException {
        Launcher.Result r = Launcher.script(work, "exec env -i FLIGHTLLM_JAVA_OPTS=-Xmx48m "
                + Launcher.quote(SharedData.repoRoot().resolve("flightllm").toString())
                + " compile --model llama2-7b-2l --context 256 --out x.flp >stdout 2>stderr");
        assertThat(r.code()).as(r.err()).isEqualTo(Main.EXIT_INPUT);
        assertThat(r.errLines().getLast()).startsWith("flightllm: error: out of memory")
                .contains("FLIGHTLLM_JAVA_OPTS");
        assertThat(r.err()).doesNotContain("Exception in thread").doesNotContain("\tat ");
        try (var files = Files.list(work)) {
            assertThat(files.map(p -> p.getFileName().toString())).doesNotContain("x.flp")
                    .noneMatch(n -> n.endsWith(".tmp"));
        }
    }

    @Test
    void emptyEnvironmentUtf8PromptEqualsInProcessBytes() {
        String[] args = {"run", "--model", model("stories260K.bin"), "--tokenizer", model("tok512.bin"),
                "--temperature", "0", "--steps", "64", "--prompt", PROMPT};
        Launcher.Result e2e = Launcher.run(work, args);
        CliRunner.Result inProcess = CliRunner.run(args);
        assertThat(e2e.code()).as(e2e.err()).isZero();
        assertThat(inProcess.code()).isZero();
        assertThat(e2e.out()).isEqualTo(inProcess.out());
        // the prompt arrived intact (LC_ALL=C.UTF-8): the emoji has no piece and its byte tokens print nothing
        assertThat(new String(e2e.out(), StandardCharsets.UTF_8)).startsWith("Lily's café  said: hi!");
        cleanStderr(e2e);
    }

    @Test
    void referenceOutputsThroughTheLauncher() throws IOException {
        Launcher.Result greedy = Launcher.run(work, "run", "--model", model("stories260K.bin"), "--tokenizer",
                model("tok512.bin"), "--temperature", "0");
        assertThat(greedy.code()).isZero();
        assertThat(greedy.out()).isEqualTo(
                Files.readAllBytes(SharedData.reference("stories260K_n256_empty.stdout")));
        cleanStderr(greedy);
        Launcher.Result topP = Launcher.run(work, "run", "-m", model("stories260K.bin"), "-z",
                model("tok512.bin"), "-t", "1.0", "-p", "0.9", "-s", "133742");
        assertThat(topP.code()).isZero();
        assertThat(topP.out()).isEqualTo(
                Files.readAllBytes(SharedData.reference("stories260K_t1.0_p0.9_s133742_n256.stdout")));
    }

    @Test
    void inspectThroughTheLauncher() {
        Launcher.Result r = Launcher.run(work, "inspect", model("aidreams260K.bin"));
        assertThat(r.code()).isZero();
        assertThat(new String(r.out(), StandardCharsets.UTF_8))
                .contains("dim 64, hidden 172, layers 4, heads 4, kv heads 4, head size 16, vocab 512, context 128")
                .contains("layers.3.w2").contains("parameters:");
        assertThat(r.err()).isEmpty();
    }

    @Test
    void badInputsGiveOneLineThroughTheLauncher() {
        List<BadInputs.Case> cases = BadInputs.all(work);
        for (BadInputs.Case c : cases) {
            if (!List.of("truncated model", "random bytes", "non-UTF-8 prompt file", "--steps abc",
                    "missing tokenizer").contains(c.name())) {
                continue; // the rest run in-process (BadInputTest); these check the real process end to end
            }
            Launcher.Result r = Launcher.run(work, c.args().toArray(String[]::new));
            BadInputTest.check(c, r.code(), r.out().length, r.errLines());
            assertThat(r.code()).isEqualTo(CliRunner.run(c.args().toArray(String[]::new)).code());
        }
    }

    @Test
    void stderrKeepsTheUsersRedirection() throws IOException {
        // 2>> appends, 2>&1 keeps the order; reopening the stderr by path would truncate or overwrite the file
        String run = "env -i " + Launcher.quote(SharedData.repoRoot().resolve("flightllm").toString())
                + " run --model " + Launcher.quote(model("stories260K.bin")) + " --tokenizer "
                + Launcher.quote(model("tok512.bin")) + " --temperature 0 --steps 12";
        Files.writeString(work.resolve("log"), "earlier line\n");
        Launcher.script(work, run + " >text 2>>log\n" + run + " >both 2>&1");
        List<String> log = Files.readAllLines(work.resolve("log"));
        assertThat(log).hasSize(2);
        assertThat(log.getFirst()).isEqualTo("earlier line");
        assertThat(log.get(1)).startsWith("prompt: 1 tokens");
        String text = Files.readString(work.resolve("text"));
        assertThat(text).startsWith("Once upon a time").endsWith("\n");
        List<String> both = Files.readAllLines(work.resolve("both"));
        assertThat(both).hasSize(2);
        assertThat(both.getFirst() + "\n").isEqualTo(text);
        assertThat(both.get(1)).startsWith("prompt: 1 tokens");
    }

    @Test
    void theJvmWritesStraightToTheUsersStderr() throws Exception {
        // While the program runs, the JVM's fd 2 must be the user's stderr itself (here a file), not the pipe into the
        // warning filter: so progress output without a newline is never held back. The prompt comes from a FIFO,
        // which keeps the program waiting in main() while we look at /proc/<pid>/fd/2.
        Path fifo = work.resolve("prompt.fifo");
        assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();
        Path err = work.resolve("err.txt");
        Process p = new ProcessBuilder("env", "-i", SharedData.repoRoot().resolve("flightllm").toString(), "run",
                "--model", model("stories260K.bin"), "--tokenizer", model("tok512.bin"), "--temperature", "0",
                "--steps", "4", "--prompt-file", fifo.toString())
                .redirectOutput(work.resolve("out.txt").toFile()).redirectError(err.toFile()).start();
        try {
            ProcessHandle jvm = null;
            Path fd2 = null;
            for (int i = 0; i < 600 && !err.equals(fd2); i++) {
                Thread.sleep(100);
                // the launcher execs the JVM, so the process itself becomes java
                jvm = java.util.stream.Stream.concat(java.util.stream.Stream.of(p.toHandle()), p.descendants())
                        .filter(h -> h.info().command().orElse("").endsWith("/java")).findFirst().orElse(null);
                if (jvm != null) {
                    try {
                        fd2 = Files.readSymbolicLink(Path.of("/proc", Long.toString(jvm.pid()), "fd", "2"));
                    } catch (IOException e) {
                        fd2 = null; // not started yet or already gone
                    }
                }
            }
            assertThat(jvm).as("the java process").isNotNull();
            assertThat(fd2).isEqualTo(err);
            Files.writeString(fifo, "Once");
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).isZero();
            assertThat(Files.readString(work.resolve("out.txt"))).startsWith("Once");
            assertThat(Files.readString(err)).startsWith("prompt: ").doesNotContain("WARNING");
        } finally {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
    }

    @Test
    void rebuildsOnlyWhenASourceIsNewerThanTheJar() throws IOException {
        // a copy of the launcher in a fake checkout whose mvnw records calls and "builds" by copying the real jar
        Path repo = Files.createDirectories(work.resolve("repo"));
        Path launcher = Files.copy(SharedData.repoRoot().resolve("flightllm"), repo.resolve("flightllm"));
        Path realJar = SharedData.repoRoot().resolve("cli/target/flightllm.jar");
        Path mvnw = repo.resolve("mvnw");
        Files.writeString(mvnw, "#!/bin/sh\necho \"$@\" >> mvnw.calls\n"
                + "[ -f fail ] && { echo 'compilation error' >&2; exit 1; }\n"
                + "mkdir -p cli/target && cp " + Launcher.quote(realJar.toString()) + " cli/target/flightllm.jar\n");
        Files.setPosixFilePermissions(mvnw, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path source = repo.resolve("model/src/main/java/A.java");
        Files.createDirectories(source.getParent());
        Files.writeString(source, "class A {}");
        Path calls = repo.resolve("mvnw.calls");

        // no jar yet: builds, then runs
        Launcher.Result first = Launcher.run(work, launcher, "--version");
        assertThat(first.code()).as(first.err()).isZero();
        assertThat(new String(first.out(), StandardCharsets.UTF_8)).startsWith("flightllm ");
        assertThat(first.err()).contains("building the jar");
        assertThat(Files.readAllLines(calls)).containsExactly("-q -B -DskipTests package");

        // jar newer than every source: no build
        Path jar = repo.resolve("cli/target/flightllm.jar");
        Files.setLastModifiedTime(source, FileTime.from(Instant.now().minusSeconds(60)));
        Launcher.Result second = Launcher.run(work, launcher, "--version");
        assertThat(second.code()).isZero();
        assertThat(second.err()).doesNotContain("building");
        assertThat(Files.readAllLines(calls)).hasSize(1);

        // a source newer than the jar: rebuild
        Files.setLastModifiedTime(jar, FileTime.from(Instant.now().minusSeconds(120)));
        Launcher.Result third = Launcher.run(work, launcher, "--version");
        assertThat(third.code()).isZero();
        assertThat(third.err()).contains("building the jar");
        assertThat(Files.readAllLines(calls)).hasSize(2);

        // a failing build: non-zero exit and the build's own error shown
        Files.writeString(repo.resolve("fail"), "");
        Files.setLastModifiedTime(jar, FileTime.from(Instant.now().minusSeconds(120)));
        Launcher.Result broken = Launcher.run(work, launcher, "--version");
        assertThat(broken.code()).isNotZero();
        assertThat(broken.err()).contains("build failed").contains("compilation error");
        assertThat(broken.out()).isEmpty();
    }
}
