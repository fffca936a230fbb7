package io.flightllm.model.hf;

/**
 * Undoes the row permutation Hugging Face applies to q_proj and k_proj.
 *
 * <p>LLaMA (and llama2.c, and our forward pass) rotate interleaved pairs: within a head of size hs, rows (2i, 2i+1)
 * form pair i. HF's rotate-half RoPE pairs row i with row i + hs/2 instead, so its conversion script reorders each
 * head with {@code w.view(n_heads, hs/2, 2, dim2).transpose(1, 2)}: the row at (h, i, j) (original row
 * {@code h*hs + 2i + j}) moves to (h, j, i), i.e. HF row {@code h*hs + j*hs/2 + i}. The inverse view therefore reads
 * logical row {@code h*hs + 2i + j} from stored row {@code h*hs + j*hs/2 + i}.
 */
public final class RopePermutation {
    private RopePermutation() {
    }

    /**
     * For a q/k matrix of {@code heads} heads of {@code headSize} rows stored the HF way, the stored row of every
     * interleaved (llama2.c-order) row, for {@link io.flightllm.model.Tensor#withRowOrder}.
     */
    public static int[] storedRows(int heads, int headSize) {
        if (heads <= 0 || headSize <= 0 || headSize % 2 != 0) {
            throw new IllegalArgumentException("heads " + heads + ", head size " + headSize + " (must be even)");
        }
        int half = headSize / 2;
        int[] order = new int[Math.multiplyExact(heads, headSize)];
        for (int r = 0; r < order.length; r++) {
            int h = r / headSize;
            int w = r % headSize;
            int i = w / 2;
            int j = w % 2;
            order[r] = h * headSize + j * half + i;
        }
        return order;
    }
}
