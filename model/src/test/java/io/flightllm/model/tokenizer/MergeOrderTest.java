package io.flightllm.model.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import io.flightllm.model.testing.SharedData;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The heap-based merge must produce exactly the tokens of run.c's quadratic loop (re-implemented here, plainly, as
 * the oracle), on random text built from vocabulary pieces, and must handle megabyte prompts.
 */
class MergeOrderTest {
    /** run.c's merge loop: scan all pairs, take the strictly best score (leftmost on ties), merge, repeat. */
    static int[] quadraticOracle(SentencePieceTokenizer t, String text) {
        List<Integer> tokens = new ArrayList<>();
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        if (utf8.length > 0) {
            tokens.add(t.lookup(new byte[] {' '}));
        }
        int i = 0;
        while (i < utf8.length) {
            int start = i++;
            while (i < utf8.length && (utf8[i] & 0xC0) == 0x80 && i - start < 4) {
                i++;
            }
            byte[] cp = Arrays.copyOfRange(utf8, start, i);
            int id = t.lookup(cp);
            if (id >= 0) {
                tokens.add(id);
            } else {
                for (byte b : cp) {
                    tokens.add((b & 0xFF) + 3);
                }
            }
        }
        while (true) {
            float best = -1e10f;
            int bestId = -1;
            int bestIdx = -1;
            for (int k = 0; k + 1 < tokens.size(); k++) {
                byte[] a = t.pieceBytes(tokens.get(k));
                byte[] b = t.pieceBytes(tokens.get(k + 1));
                byte[] m = Arrays.copyOf(a, a.length + b.length);
                System.arraycopy(b, 0, m, a.length, b.length);
                int id = t.lookup(m);
                if (id != -1 && t.score(id) > best) {
                    best = t.score(id);
                    bestId = id;
                    bestIdx = k;
                }
            }
            if (bestIdx < 0) {
                break;
            }
            tokens.set(bestIdx, bestId);
            tokens.remove(bestIdx + 1);
        }
        return tokens.stream().mapToInt(Integer::intValue).toArray();
    }

    static String randomText(SentencePieceTokenizer t, SplittableRandom r, int pieces) {
        StringBuilder sb = new StringBuilder();
        for (int k = 0; k < pieces; k++) {
            int choice = r.nextInt(10);
            if (choice < 7) {
                sb.append(t.piece(3 + 256 + r.nextInt(t.vocabSize() - 259)));
            } else if (choice < 9) {
                sb.append(' ');
            } else {
                sb.appendCodePoint(new int[] {'é', 'ß', '中', 0x1F436, '\n', '\t'}[r.nextInt(6)]);
            }
        }
        return sb.toString();
    }

    @Test
    void heapMergeEqualsTheQuadraticLoop() {
        for (String vocab : new String[] {"tok512.bin", "tok4096.bin", "aidreams_tok512.bin"}) {
            int size = vocab.equals("tok4096.bin") ? 4096 : 512;
            SentencePieceTokenizer t = Llama2cTokenizerFile.read(SharedData.model(vocab), size);
            SplittableRandom r = new SplittableRandom(vocab.hashCode());
            for (int k = 0; k < 300; k++) {
                String text = randomText(t, r, 1 + r.nextInt(40));
                assertThat(t.encode(text, false, false)).as("%s: %s", vocab, text)
                        .isEqualTo(quadraticOracle(t, text));
            }
        }
    }

    @Test
    @Timeout(60)
    void aMegabytePromptEncodesQuickly() {
        SentencePieceTokenizer t = Llama2cTokenizerFile.read(SharedData.model("tok512.bin"), 512);
        String text = randomText(t, new SplittableRandom(5), 450_000);
        assertThat(text.getBytes(StandardCharsets.UTF_8).length).isGreaterThan(900_000);
        long t0 = System.nanoTime();
        int[] ids = t.encode(text, true, false);
        assertThat(ids.length).isGreaterThan(100_000);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(60));
    }
}
