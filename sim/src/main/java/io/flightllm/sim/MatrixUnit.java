package io.flightllm.sim;

import io.flightllm.arch.hw.Mpe;
import io.flightllm.arch.isa.BLayout;
import io.flightllm.arch.isa.Buffer;
import io.flightllm.arch.numerics.IndexEncoding;
import io.flightllm.arch.isa.Isa;
import io.flightllm.arch.isa.MatrixOp;
import io.flightllm.arch.isa.OutputStage;
import io.flightllm.arch.isa.Queue;
import io.flightllm.arch.numerics.IntDot;
import io.flightllm.arch.numerics.Sparsity;

/**
 * The MPE of one core executing MM and MV (docs/isa.md "MM and MV"): the sparse DSP chain's semantics (per-block N from
 * FSB, the 4-bit index or 16-bit mask select from META, INT8 x INT8 products summed exactly in INT32 per scale group)
 * and the output stage with its 16 FP32 sum16 partials and open group sum carried across K tiles in partial-sum
 * records. Bounds were checked from the instruction's footprint before it runs; what the footprint cannot know (the
 * FSB contents) is checked here.
 */
final class MatrixUnit {
    private static final int BLOCK = Sparsity.BLOCK;

    private final CoreState core;
    private final Mpe mpe;
    /** supported[n]: the sparse MUX handles N = n (Mpe.supportsN, looked up once: it is asked per block). */
    private final boolean[] supported = new boolean[BLOCK + 1];
    private final Counters.Core count;
    private final OutputStage stage = new OutputStage();
    private int[] valueStart = new int[0];
    private int[] posStart = new int[0];
    private byte[] positions = new byte[0];
    /** Sparse cursors: the next kept value (offset in B) and position of the current row. */
    private int cursorValue;
    private int cursorPos;

    MatrixUnit(CoreState core, Mpe mpe, Counters.Core count) {
        this.core = core;
        this.mpe = mpe;
        this.count = count;
        for (int n = 0; n <= BLOCK; n++) {
            supported[n] = Sparsity.isValidN(n) && mpe.supportsN(n);
        }
    }

    void execute(MatrixOp x) {
        int m = x.m();
        int k = x.k();
        int rows = x.rows();
        int g = x.group();
        Span a = core.span(Buffer.A, 16L * x.a(), ((m - 1L) * x.aStride() + k) * 16);
        long bBytes = x.sparse() ? 16L * x.bLines() : (long) rows * k * 16;
        Span b = core.span(Buffer.B, 16L * x.b(), bBytes);
        byte[] nb = null;
        if (x.sparse()) {
            nb = sparseLayout(x);
        }
        Span scale = core.span(Buffer.SCALE, 0, core.size(Buffer.SCALE));
        byte[] sc = scale.array();
        long kept = 0;
        for (int t = 0; t < m; t++) {
            int aOff = a.offset() + t * x.aStride() * 16;
            float as = Bytes.f32(sc, 4 * (x.ascale() + t * x.astride()));
            for (int r = 0; r < rows; r++) {
                Span rec = null;
                if (x.first()) {
                    stage.reset();
                } else {
                    rec = record(x, t, r);
                    stage.load(rec.array(), rec.offset());
                }
                if (x.sparse()) {
                    cursorValue = b.offset() + valueStart[r];
                    cursorPos = posStart[r];
                }
                int j = 0;
                while (j < k) {
                    int blk = x.k0() + j;
                    int end = g == 0 ? k : Math.min(k, j + (g - blk % g));
                    if (x.sparse()) {
                        stage.add(sparseDot(b, nb, r, k, j, end, a.array(), aOff));
                    } else if (x.bLayout() == BLayout.ROW) {
                        stage.add(IntDot.dot(b.array(), b.offset() + (r * k + j) * BLOCK, a.array(),
                                aOff + j * BLOCK, (end - j) * BLOCK));
                    } else {
                        stage.add(IntDot.strided(b.array(), b.offset() + j * BLOCK * rows + r, rows, a.array(),
                                aOff + j * BLOCK, (end - j) * BLOCK));
                    }
                    j = end;
                    boolean groupEnds = g > 0 && (x.k0() + end) % g == 0;
                    if (groupEnds || (x.last() && j == k)) {
                        int group = g == 0 ? 0 : (x.k0() + end - 1) / g;
                        int touched = g == 0 ? 0 : group - x.k0() / g;
                        float ws = x.ws() ? Bytes.f32(sc, 4 * (x.wscale() + r * x.wstride() + touched)) : 1.0f;
                        stage.close(group, ws, as);
                    }
                }
                if (!x.last()) {
                    if (rec == null) {
                        rec = record(x, t, r);
                    }
                    stage.store(rec.array(), rec.offset());
                } else {
                    float bias = 0.0f;
                    if (x.bias()) {
                        Span bs = core.span(Buffer.BIAS, 16L * x.biasAddr() + 4L * r, 4);
                        bias = Bytes.f32(bs.array(), bs.offset());
                    }
                    Span out = core.span(Buffer.GLOBAL, 16L * x.out() + 16L * t * x.outStride() + 4L * r, 4);
                    Bytes.f32(out.array(), out.offset(), stage.finish(x.bias(), bias, x.relu()));
                }
            }
            kept += x.sparse() ? keptPerToken(nb) : (long) rows * k * BLOCK;
        }
        long dense = (long) m * rows * k * BLOCK;
        if (x.queue() == Queue.MV) {
            count.mvMacs += kept;
            count.mvDenseMacs += dense;
        } else {
            count.mmMacs += kept;
            count.mmDenseMacs += dense;
        }
        count.bufferRead[Buffer.A.ordinal()] += ((m - 1L) * x.aStride() + k) * 16;
        count.bufferRead[Buffer.B.ordinal()] += bBytes;
        if (!x.first()) {
            count.bufferRead[Buffer.GLOBAL.ordinal()] += (long) m * rows * Isa.PSUM_BYTES;
        }
        count.bufferWritten[Buffer.GLOBAL.ordinal()] += x.last() ? 4L * m * rows : (long) m * rows * Isa.PSUM_BYTES;
    }

    private Span record(MatrixOp x, int t, int r) {
        return core.span(Buffer.GLOBAL, 16L * x.psum() + ((long) t * x.rows() + r) * Isa.PSUM_BYTES, Isa.PSUM_BYTES);
    }

    /** Kept products per token: N per row of each 16-row block. */
    private static long keptPerToken(byte[] nb) {
        long n = 0;
        for (byte v : nb) {
            n += v;
        }
        return n * BLOCK;
    }

    /**
     * Reads the tile's N bytes, checks them, and lays out where each row's kept values and column positions start
     * (rows in order, blocks in order, as the B and META streams are written). Mask indices are expanded to
     * positions here, as the MMU does.
     */
    private byte[] sparseLayout(MatrixOp x) {
        int rows = x.rows();
        int k = x.k();
        int rb = rows / BLOCK;
        Span fsb = core.span(Buffer.FSB, 16L * x.fsb(), (long) rb * k);
        byte[] nb = new byte[rb * k];
        System.arraycopy(fsb.array(), fsb.offset(), nb, 0, nb.length);
        long values = 0;
        long segments = 0;
        long nibbles = 0;
        for (int i = 0; i < nb.length; i++) {
            int n = nb[i];
            if (n < 0 || n > BLOCK || !supported[n]) {
                throw new SimException(SimException.Kind.OPERAND, core.core(), -1, "FSB byte " + i + " (row block "
                        + i / k + ", block " + i % k + ") at FSB byte " + (16L * x.fsb() + i) + " is N = " + n
                        + "; the MPE supports N in " + java.util.Arrays.toString(mpe.sparseModes()));
            }
            values += (long) BLOCK * n;
            if (n > 0 && n < BLOCK) {
                segments += BLOCK;
                nibbles += (long) BLOCK * n;
            }
        }
        if (values > 16L * x.bLines()) {
            throw new SimException(SimException.Kind.OPERAND, core.core(), -1, "the FSB densities need " + values
                    + " kept values, b_lines = " + x.bLines() + " hold " + 16L * x.bLines());
        }
        long idxBytes = x.idxEnc() == IndexEncoding.POSITIONS4 ? (nibbles + 1) / 2 : 2 * segments;
        if (idxBytes > 16L * x.idxLines()) {
            throw new SimException(SimException.Kind.OPERAND, core.core(), -1, "the FSB densities need " + idxBytes
                    + " index bytes (" + x.idxEnc() + "), idx_lines = " + x.idxLines() + " hold "
                    + 16L * x.idxLines());
        }
        if (valueStart.length < rows + 1) {
            valueStart = new int[rows + 1];
            posStart = new int[rows + 1];
        }
        if (positions.length < nibbles) {
            positions = new byte[(int) nibbles];
        }
        Span meta = core.span(Buffer.META, 16L * x.idx(), idxBytes);
        byte[] ma = meta.array();
        int v = 0;
        int pos = 0;
        int mask = 0;
        for (int r = 0; r < rows; r++) {
            valueStart[r] = v;
            posStart[r] = pos;
            for (int j = 0; j < k; j++) {
                int n = nb[(r / BLOCK) * k + j];
                v += n;
                if (n == 0 || n == BLOCK) {
                    continue;
                }
                if (x.idxEnc() == IndexEncoding.POSITIONS4) {
                    for (int i = 0; i < n; i++, pos++) {
                        int byt = ma[meta.offset() + (pos >> 1)];
                        positions[pos] = (byte) ((pos & 1) == 0 ? byt & 0xf : byt >> 4 & 0xf);
                    }
                } else {
                    int bits = Bytes.i16(ma, meta.offset() + 2 * mask) & 0xffff;
                    if (Integer.bitCount(bits) != n) {
                        throw new SimException(SimException.Kind.OPERAND, core.core(), -1, "mask " + mask
                                + " (row " + r + ", block " + j + ") at META byte " + (16L * x.idx() + 2L * mask)
                                + " is 0x" + Integer.toHexString(bits) + " with " + Integer.bitCount(bits)
                                + " bits set; its block has N = " + n);
                    }
                    mask++;
                    for (int c = 0; c < BLOCK; c++) {
                        if ((bits >> c & 1) != 0) {
                            positions[pos++] = (byte) c;
                        }
                    }
                }
            }
        }
        valueStart[rows] = v;
        posStart[rows] = pos;
        return nb;
    }

    /** The exact INT32 sum over blocks [j0, j1) of row r of a sparse tile; advances the row's cursors. */
    private int sparseDot(Span b, byte[] nb, int r, int k, int j0, int j1, byte[] a, int aOff) {
        byte[] w = b.array();
        int v = cursorValue;
        int pos = cursorPos;
        int row = (r / BLOCK) * k;
        int acc = 0;
        for (int j = j0; j < j1; j++) {
            int n = nb[row + j];
            int col = aOff + j * BLOCK;
            if (n == BLOCK) {
                acc += IntDot.dot(w, v, a, col, BLOCK);
            } else {
                for (int i = 0; i < n; i++) {
                    acc += w[v + i] * a[col + positions[pos + i]];
                }
                pos += n;
            }
            v += n;
        }
        cursorValue = v;
        cursorPos = pos;
        return acc;
    }
}
