package io.flightllm.model;

import io.flightllm.model.forward.Forward;
import io.flightllm.model.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;

/**
 * The generation loop of llama2.c run.c: BOS + prompt tokens are force-fed, then tokens are sampled until {@code steps}
 * positions (counting BOS and the prompt) are done or a stop token is sampled. {@link #run} reports each token to a
 * {@link TokenListener} (the runtime's engine streams, cancels and applies stop strings through it);
 * {@link #generate} is the listener that prints what run.c prints: a piece that is a single byte which is neither
 * printable nor white space is not written ({@code safe_printf}); byte-level tokenizers' pieces are written whole.
 */
public final class Generator {
    /**
     * Counts and timings of one run; times in nanoseconds. {@code generatedTokens} counts every sampled token,
     * a sampled stop token included; {@code endedByListener} is true when the listener asked to stop.
     */
    public record Result(int promptTokens, int positionsRun, int generatedTokens, long promptNanos, long generateNanos,
                         boolean stoppedOnToken, boolean endedByListener) {
        public double promptTokensPerSecond() {
            return promptNanos == 0 ? 0 : promptTokens * 1e9 / promptNanos;
        }

        public double generatedTokensPerSecond() {
            return generateNanos == 0 ? 0 : generatedTokens * 1e9 / generateNanos;
        }
    }

    /** Receives the tokens of one run in order: the forced prompt tokens after the prefill, then the sampled ones. */
    public interface TokenListener {
        /** A forced prompt token {@code token} following {@code prev} (run.c prints these pieces too). */
        default void forced(int prev, int token) {
        }

        /**
         * A sampled token that is not a stop token, following {@code prev}. Return false to end the run here (no further
         * position is computed): cancellation, a deadline or a stop string.
         */
        boolean generated(int prev, int token);

        /**
         * The logits the next token is about to be sampled from, before the sampler (which may scale or overwrite them
         * in place) sees them: a listener that reports log-probabilities reads them here.
         */
        default void sampling(float[] logits) {
        }

        /**
         * True: the prompt runs one position at a time (the decode path) and {@link #promptLogits} sees every forced
         * position's logits, to score the prompt; false (default): one batched prefill, only the last logits exist.
         */
        default boolean wantsPromptLogits() {
            return false;
        }

        /** The logits at prompt position {@code pos}, whose next token is the forced prompt token at pos + 1. */
        default void promptLogits(int pos, float[] logits) {
        }

        /** A sampled stop token {@code token} following {@code prev}: the run ends (it is not {@link #generated}). */
        default void stoppedOn(int prev, int token) {
        }
    }

    private Generator() {
    }

    /** run.c's rule: 0 or more than the context means the whole context. */
    public static int effectiveSteps(int steps, int seqLen) {
        return steps <= 0 || steps > seqLen ? seqLen : steps;
    }

    /**
     * Runs generation and streams the text to {@code out}, flushing after every piece, then a newline. The forced
     * prompt positions run as one batched {@link Forward#prefill}; the printed bytes are the ones run.c prints (its
     * loop prints each forced piece as it goes; here they follow the prefill).
     *
     * @param promptTokens the encoded prompt, BOS first
     * @param steps        positions to run, already resolved with {@link #effectiveSteps}
     */
    public static Result generate(Forward forward, Tokenizer tokenizer, Sampler sampler, int[] promptTokens,
                                  int steps, OutputStream out) {
        TokenListener printer = new TokenListener() {
            @Override
            public void forced(int prev, int token) {
                write(prev, token);
            }

            @Override
            public boolean generated(int prev, int token) {
                write(prev, token);
                return true;
            }

            private void write(int prev, int token) {
                try {
                    writePiece(out, tokenizer, tokenizer.decode(prev, token));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        };
        Result r = run(forward, sampler, promptTokens, steps, printer);
        try {
            out.write('\n');
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return r;
    }

    /**
     * The loop itself: prefill the forced positions, then sample and run one position per token.
     *
     * @param promptTokens the encoded prompt, BOS first
     * @param steps        positions to run (counting BOS and the prompt; the last sampled token is not run), at most
     *                     the forward's context
     */
    public static Result run(Forward forward, Sampler sampler, int[] promptTokens, int steps, TokenListener listener) {
        return run(forward, sampler, promptTokens, steps, true, listener);
    }

    /**
     * @param promptStops true: as run.c, a stop token inside the prompt ends the run there; false: every prompt token
     *                    is forced (a chat history has {@code </s><s>} between turns)
     */
    public static Result run(Forward forward, Sampler sampler, int[] promptTokens, int steps, boolean promptStops,
                             TokenListener listener) {
        if (promptTokens.length < 1) {
            throw new IllegalArgumentException("expected at least the BOS token in the prompt");
        }
        if (steps < 1) {
            throw new IllegalArgumentException("steps = " + steps + "; expected at least 1");
        }
        ModelConfig c = forward.config();
        int forced = Math.min(promptTokens.length, steps);
        // Positions 0 .. nextForced-1 have a forced next token (the following prompt token); run.c stops at the first
        // forced next token that is a stop token, so the prefill ends there too.
        int nextForced = Math.min(promptTokens.length - 1, steps);
        int stopAt = -1;
        for (int p = 0; promptStops && p < nextForced; p++) {
            if (c.isStopToken(promptTokens[p + 1])) {
                stopAt = p;
                break;
            }
        }
        int prefilled = stopAt >= 0 ? stopAt + 1 : forced;
        // The last prompt position's logits choose the first generated token, if that position is within steps.
        boolean sampleAfterPrefill = stopAt < 0 && forced == promptTokens.length;
        long t0 = System.nanoTime();
        int generated = 0;
        boolean stopped = stopAt >= 0;
        boolean ended = false;
        int pos = prefilled;
        float[] logits;
        if (listener.wantsPromptLogits()) {
            logits = null;
            for (int p = 0; p < prefilled; p++) {
                logits = forward.forward(promptTokens[p], p);
                if (p < nextForced) {
                    listener.promptLogits(p, logits);
                }
            }
        } else {
            logits = forward.prefill(promptTokens, 0, prefilled, sampleAfterPrefill);
        }
        int next = -1;
        if (sampleAfterPrefill) {
            listener.sampling(logits);
            next = sampler.sample(logits);
            generated++;
        }
        long tPromptEnd = System.nanoTime();
        for (int p = 0; p < Math.min(prefilled, nextForced); p++) {
            if (p == stopAt) {
                break;
            }
            listener.forced(promptTokens[p], promptTokens[p + 1]);
        }
        int token = promptTokens[prefilled - 1];
        if (sampleAfterPrefill) {
            while (true) {
                if (c.isStopToken(next)) {
                    listener.stoppedOn(token, next);
                    stopped = true;
                    break;
                }
                if (!listener.generated(token, next)) {
                    ended = true;
                    break;
                }
                token = next;
                if (pos >= steps) {
                    break;
                }
                logits = forward.forward(token, pos);
                listener.sampling(logits);
                next = sampler.sample(logits);
                generated++;
                pos++;
            }
        }
        long tEnd = System.nanoTime();
        return new Result(forced, pos, generated, tPromptEnd - t0, tEnd - tPromptEnd, stopped, ended);
    }

    /**
     * Writes a piece of {@code tokenizer}'s: whole for a byte-level tokenizer (its pieces may split a character over
     * tokens), else through run.c's filter ({@link #writePiece(OutputStream, byte[])}).
     */
    public static void writePiece(OutputStream out, Tokenizer tokenizer, byte[] piece) throws IOException {
        if (tokenizer.byteLevel()) {
            out.write(piece);
            out.flush();
        } else {
            writePiece(out, piece);
        }
    }

    /** run.c's safe_printf: skip empty pieces and lone non-printable bytes; stop at a NUL like printf("%s"). */
    public static void writePiece(OutputStream out, byte[] piece) throws IOException {
        if (piece.length == 0 || piece[0] == 0) {
            return;
        }
        if (piece.length == 1 || piece[1] == 0) {
            int b = piece[0] & 0xFF;
            boolean print = b >= 0x20 && b <= 0x7E;
            boolean space = b == ' ' || (b >= '\t' && b <= '\r');
            if (!(print || space)) {
                return;
            }
        }
        int len = 0;
        while (len < piece.length && piece[len] != 0) {
            len++;
        }
        out.write(piece, 0, len);
        out.flush();
    }
}
