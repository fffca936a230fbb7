package io.flightllm.twin.eval;

import io.flightllm.model.Model;
import io.flightllm.model.Sampler;
import io.flightllm.model.forward.DecoderForward;
import io.flightllm.model.forward.ScalarMatVec;
import io.flightllm.model.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Evaluation token sequences, each starting with BOS. Either sampled from the dense FP32 model (then perplexity on
 * it is "self-generated": it measures how well a model predicts its reference's own samples) or cut from text.
 *
 * @param sequences   token ids, BOS first, at least 2 tokens each
 * @param description where the tokens came from, for reports
 * @param sampled     how many of the sequences were sampled from the reference model
 */
public record Corpus(List<int[]> sequences, String description, int sampled) {
    public static final int DEFAULT_SEQUENCES = 64;
    public static final int DEFAULT_LENGTH = 256;
    /** Evaluation seeds are 1..count; calibration uses seeds from this value up, so the two never overlap. */
    public static final long CALIBRATION_SEED_BASE = 1000;

    public Corpus {
        sequences = List.copyOf(sequences);
        if (sampled < 0 || sampled > sequences.size()) {
            throw new IllegalArgumentException(description + ": " + sampled + " sampled of " + sequences.size()
                    + " sequences");
        }
        for (int[] s : sequences) {
            if (s.length < 2) {
                throw new IllegalArgumentException(description + ": a sequence of " + s.length
                        + " tokens has nothing to predict");
            }
        }
    }

    /** The perplexity's label: "self-generated" (all sampled), "text" (none) or the mix. */
    public String perplexityLabel() {
        if (sampled == sequences.size()) {
            return "self-generated";
        }
        return sampled == 0 ? "text" : "mixed: " + sampled + " self-generated + " + (sequences.size() - sampled)
                + " text sequences";
    }

    public int tokens() {
        return sequences.stream().mapToInt(s -> s.length).sum();
    }

    /** The sequences of both, in order. */
    public Corpus plus(Corpus other) {
        List<int[]> all = new ArrayList<>(sequences);
        all.addAll(other.sequences);
        return new Corpus(all, description + " + " + other.description, sampled + other.sampled);
    }

    /**
     * {@code count} sequences sampled from the FP32 reference (run.c's sampler, temperature/top-p as given), the i-th
     * with seed {@code firstSeed + i}: BOS, then up to {@code length - 1} sampled tokens (capped by seq_len; a sampled
     * BOS ends the sequence early, as in run.c).
     */
    public static Corpus sample(Model model, int count, int length, long firstSeed, float temperature, float topp) {
        int len = Math.min(length, model.config().seqLen());
        DecoderForward f = DecoderForward.create(model.config(), model.weights(), new ScalarMatVec(), len);
        int bos = model.config().bosId();
        List<int[]> out = new ArrayList<>(count);
        for (int s = 0; s < count; s++) {
            Sampler sampler = new Sampler(model.config().vocabSize(), temperature, topp, firstSeed + s);
            int[] seq = new int[len];
            seq[0] = bos;
            int n = 1;
            while (n < len) {
                int next = sampler.sample(f.forward(seq[n - 1], n - 1));
                if (next == bos) {
                    break;
                }
                seq[n++] = next;
            }
            if (n >= 2) {
                out.add(Arrays.copyOf(seq, n));
            }
        }
        return new Corpus(out, count + " sequences x " + len + " tokens sampled at temperature " + temperature
                + ", top-p " + topp + ", seeds " + firstSeed + ".." + (firstSeed + count - 1) + " (self-generated)",
                out.size());
    }

    /** The default evaluation corpus: 64 x 256 tokens, temperature 1.0, top-p 1.0, seeds 1..64. */
    public static Corpus sampledDefault(Model model) {
        return sample(model, DEFAULT_SEQUENCES, DEFAULT_LENGTH, 1, 1.0f, 1.0f);
    }

    /**
     * Text tokenized without BOS and cut into consecutive windows of {@code length - 1} tokens (capped by
     * {@code maxLength}), each sequence BOS + window; a last window shorter than one token is dropped.
     */
    public static Corpus fromText(String text, Tokenizer tokenizer, int length, int maxLength, String description) {
        int len = Math.min(length, maxLength);
        if (len < 2) {
            throw new IllegalArgumentException(description + ": windows of " + len + " tokens are too short");
        }
        int[] ids = tokenizer.encode(text, false, false);
        if (ids.length == 0) {
            throw new IllegalArgumentException(description + ": the text has no tokens to evaluate on");
        }
        List<int[]> out = new ArrayList<>();
        for (int at = 0; at < ids.length; at += len - 1) {
            int n = Math.min(len - 1, ids.length - at);
            int[] seq = new int[n + 1];
            seq[0] = tokenizer.bosId();
            System.arraycopy(ids, at, seq, 1, n);
            out.add(seq);
        }
        return new Corpus(out, description, 0);
    }

    /** A UTF-8 text file as a corpus (malformed UTF-8 is an error naming the file, not replaced silently). */
    public static Corpus fromFile(Path file, Tokenizer tokenizer, int length, int maxLength) {
        return fromText(readUtf8(file), tokenizer, length, maxLength, file.toString());
    }

    static String readUtf8(Path file) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(file))).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(file + ": not valid UTF-8 text (" + e.getMessage() + ")", e);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot read the corpus text", e);
        }
    }
}
