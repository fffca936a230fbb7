package io.flightllm.cli;

import io.flightllm.model.forward.MatVec;
import io.flightllm.runtime.GenerationRequest;
import io.flightllm.runtime.Kernels;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;

/** Option handling shared by the commands: one vocabulary of flags, one set of checks. */
final class Options {
    /** Largest prompt file accepted. */
    static final long MAX_PROMPT_BYTES = 1 << 20;

    private Options() {
    }


    /**
     * run.c's seed: the xorshift state is an unsigned 64-bit value; 0 means "from the clock". A negative value is taken
     * as its two's complement, as run.c's {@code atoi} into an unsigned long long does.
     */
    static long parseSeed(String s) {
        long v;
        try {
            String t = s.trim();
            v = t.startsWith("-") ? Long.parseLong(t) : Long.parseUnsignedLong(t);
        } catch (NumberFormatException e) {
            throw new Main.UserInputException("--seed is '" + s + "'; expected an integer (unsigned 64-bit, or a "
                    + "negative int64 taken as its two's complement)");
        }
        return GenerationRequest.seedOrClock(v);
    }

    static String promptText(String prompt, Path promptFile) {
        if (prompt != null && promptFile != null) {
            throw new Main.UserInputException("give --prompt or --prompt-file, not both");
        }
        if (promptFile == null) {
            return prompt == null ? "" : prompt;
        }
        try {
            long size = Files.size(promptFile);
            if (size > MAX_PROMPT_BYTES) {
                throw new Main.UserInputException(promptFile + ": the prompt file is " + size
                        + " bytes; at most " + MAX_PROMPT_BYTES + " (1 MiB) are accepted");
            }
            byte[] bytes = Files.readAllBytes(promptFile);
            CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT);
            ByteBuffer in = ByteBuffer.wrap(bytes);
            CharBuffer text = CharBuffer.allocate(bytes.length);
            CoderResult r = utf8.decode(in, text, true);
            if (!r.isError()) {
                r = utf8.flush(text);
            }
            if (r.isError()) {
                throw new Main.UserInputException(String.format(Locale.ROOT, "%s: the prompt file is not valid UTF-8 "
                        + "(byte 0x%02X at offset %d)", promptFile, bytes[in.position()] & 0xFF, in.position()));
            }
            return text.flip().toString();
        } catch (NoSuchFileException e) {
            throw new Main.UserInputException(promptFile + ": prompt file not found");
        } catch (IOException e) {
            throw new Main.UserInputException(promptFile + ": cannot read the prompt file: " + e.getMessage());
        }
    }

    /** Help text of {@code --kernels}, shared by run and bench. */
    static final String KERNELS_HELP = "ref matrix kernels: golden (run.c order, one thread), exact (Vector API + "
            + "threads, bit-identical to golden; keeps a column-interleaved copy of the FP32 matrices), "
            + "exact-transposed (the same bits without the copy, transposing in registers; slower) or vector "
            + "(Vector API + threads, reassociated sums: logits differ from golden by rounding)";

    /** {@code --threads}: null means all cores; 1 to 1024 otherwise. */
    /**
     * Refuses a checkpoint the compressed form cannot hold (compression, evaluation against a .flm): post-norm OPT
     * (opt-350m) and OPT with project_in/out run on the fp32 reference only (docs/opt.md).
     */
    static void requireCompressible(io.flightllm.model.Model m, String command) {
        io.flightllm.compress.ModelSupport.Refusal r = io.flightllm.compress.ModelSupport.checkSource(m.config());
        if (r != null) {
            throw new Main.UserInputException(m.source() + ": " + r.message() + "; " + command + " handles "
                    + io.flightllm.compress.ModelSupport.SUPPORTED + " (this " + m.config().family()
                    + " model runs on the fp32 reference: run, bench, chat and serve with --backend ref)");
        }
    }

    /** Says on stderr when the compiler served fewer positions than --context asked for (the model has fewer). */
    static void noteContextCap(Console console, String command, int asked, io.flightllm.compiler.Compiler c) {
        if (asked > c.maxContext()) {
            console.err().printf(java.util.Locale.ROOT, "%s: --context %d is beyond the model's %d positions; "
                    + "compiled for %d%n", command, asked, c.maxContext(), c.maxContext());
        }
    }

    /**
     * {@code n} positions, or fewer when the executor holds fewer (a compiled program serves the context it was compiled
     * for), said on stderr.
     */
    static int capToExecutor(Console console, String command, int n, io.flightllm.model.forward.Forward fwd,
                             Object what) {
        if (n <= fwd.contextLength()) {
            return n;
        }
        console.err().printf(java.util.Locale.ROOT, "%s: note: %s serves %d positions; running %d, not %d%n", command,
                what, fwd.contextLength(), fwd.contextLength(), n);
        return fwd.contextLength();
    }

    static int threads(Integer threads) {
        return Kernels.threads(threads);
    }

    /** golden, exact, exact-transposed or vector; {@code threads} (null = all cores) applies to all but golden. */
    static MatVec matVec(String kernels, Integer threads) {
        return Kernels.matVec(kernels, threads);
    }
}
