package io.flightllm.compress.algo;

import io.flightllm.compress.BlockDensity;
import io.flightllm.compress.CompressedLinear;
import java.util.Arrays;
import java.util.PriorityQueue;

/**
 * Per-block densities under a target mean: every block starts dense and the cheapest density reductions are taken
 * until the mean density reaches the target. A block's loss at density N is the total saliency of the weights it drops
 * (per row segment the 16 - N smallest), with saliency w^2 x sum_t X_tj^2 (Wanda's score squared; w^2 without
 * calibration). A step's cost is its added loss per kept slot removed, so the least important blocks get the smallest
 * N. The result's mean is at most the target and below it by less than one step of one unit.
 *
 * <p>A unit is one block, or with {@code bandRowBlocks} = k a column of k row blocks (k x 16 rows) that must share one
 * N: the compiler processes row blocks in parallel, and a band with one N wastes no cycles (the DESIGN's "paper"
 * profile uses 64-row bands, k = 4).
 */
public final class DensityAllocator {
    private DensityAllocator() {
    }

    /**
     * @param columnSumSq per-column sums of squared activations, or null for magnitude
     * @param targetMean  the wanted mean kept fraction in [0, 1]
     * @param choices     the allowed densities (a subset of {@link BlockDensity#CHOICES} containing 16)
     */
    public static byte[] allocate(float[] w, int rows, int cols, double[] columnSumSq, double targetMean,
                                  int[] choices) {
        return allocate(w, rows, cols, columnSumSq, targetMean, choices, 1);
    }

    /** As above, with bands of {@code bandRowBlocks} row blocks sharing each column block's N. */
    public static byte[] allocate(float[] w, int rows, int cols, double[] columnSumSq, double targetMean,
                                  int[] choices, int bandRowBlocks) {
        if (bandRowBlocks < 1) {
            throw new IllegalArgumentException("band of " + bandRowBlocks + " row blocks must be at least 1");
        }
        int[] ch = choices.clone();
        Arrays.sort(ch);
        for (int n : ch) {
            BlockDensity.check(n);
        }
        if (ch[ch.length - 1] != 16) {
            throw new IllegalArgumentException("density choices " + Arrays.toString(choices) + " must include 16");
        }
        if (!(targetMean >= ch[0] / 16.0) || targetMean > 1) {
            throw new IllegalArgumentException("target mean density " + targetMean + " must be in [" + ch[0] / 16.0
                    + ", 1] for choices " + Arrays.toString(ch));
        }
        int pr = CompressedLinear.ceil16(rows);
        int pc = CompressedLinear.ceil16(cols);
        int cb = pc / 16;
        int blocks = pr / 16 * cb;
        int bands = (pr / 16 + bandRowBlocks - 1) / bandRowBlocks;
        int units = bands * cb;
        int[] size = new int[units]; // blocks per unit
        for (int b = 0; b < blocks; b++) {
            size[unit(b, cb, bandRowBlocks)]++;
        }
        // loss[u][k]: saliency dropped by unit u at density ch[k]
        double[][] loss = new double[units][ch.length];
        double[] seg = new double[16];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < cb; j++) {
                for (int k = 0; k < 16; k++) {
                    int c = j * 16 + k;
                    double x = c < cols ? w[r * cols + c] : 0;
                    seg[k] = x * x * (columnSumSq == null || c >= cols ? 1 : columnSumSq[c]);
                }
                Arrays.sort(seg);
                double[] l = loss[unit((r / 16) * cb + j, cb, bandRowBlocks)];
                for (int k = 0; k < ch.length; k++) {
                    for (int t = 0; t < 16 - ch[k]; t++) {
                        l[k] += seg[t];
                    }
                }
            }
        }
        int[] level = new int[units];
        Arrays.fill(level, ch.length - 1);
        long total = 16L * blocks;
        long target = (long) Math.floor(targetMean * 16 * blocks + 1e-9);
        PriorityQueue<double[]> steps = new PriorityQueue<>((a, b) -> a[0] != b[0] ? Double.compare(a[0], b[0])
                : Double.compare(a[1], b[1]));
        for (int u = 0; u < units; u++) {
            push(steps, loss, ch, u, level[u], size[u]);
        }
        while (total > target && !steps.isEmpty()) {
            int u = (int) steps.poll()[1];
            total -= (long) (ch[level[u]] - ch[level[u] - 1]) * size[u];
            level[u]--;
            push(steps, loss, ch, u, level[u], size[u]);
        }
        byte[] n = new byte[blocks];
        for (int b = 0; b < blocks; b++) {
            n[b] = (byte) ch[level[unit(b, cb, bandRowBlocks)]];
        }
        return n;
    }

    private static int unit(int block, int cb, int band) {
        return (block / cb) / band * cb + block % cb;
    }

    private static void push(PriorityQueue<double[]> steps, double[][] loss, int[] ch, int u, int level, int size) {
        if (level > 0) {
            double cost = (loss[u][level - 1] - loss[u][level]) / ((double) (ch[level] - ch[level - 1]) * size);
            steps.add(new double[] {cost, u});
        }
    }
}
