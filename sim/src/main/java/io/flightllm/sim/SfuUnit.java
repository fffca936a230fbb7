package io.flightllm.sim;

import io.flightllm.arch.isa.Buffer;
import io.flightllm.arch.isa.MaskMode;
import io.flightllm.arch.isa.Misc;
import io.flightllm.arch.isa.MiscOp;
import io.flightllm.arch.isa.check.Footprint;
import io.flightllm.arch.numerics.Int8Quantizer;
import io.flightllm.arch.numerics.Sfu;

/**
 * The special function unit of one core executing MISC (docs/isa.md "MISC"). The arithmetic is the shared numerics
 * ({@link Sfu}, {@link Int8Quantizer}); this class only moves rows between GLOBAL and FP32 arrays
 * and applies the masks. Every input row is read before any result is written, so dst may alias a or b.
 */
final class SfuUnit {
    private static final int LINE = 16;

    private final CoreState core;
    private final Counters.Core count;

    SfuUnit(CoreState core, Counters.Core count) {
        this.core = core;
        this.count = count;
    }

    private float[] rows(int addr, int stride, int rows, int n) {
        float[] out = new float[rows * n];
        for (int r = 0; r < rows; r++) {
            Span s = core.span(Buffer.GLOBAL, LINE * ((long) addr + (long) r * stride), 4L * n);
            Bytes.readF32(s.array(), s.offset(), out, r * n, n);
        }
        count.bufferRead[Buffer.GLOBAL.ordinal()] += 4L * rows * n;
        return out;
    }

    private void write(int addr, int stride, int rows, int n, float[] v) {
        for (int r = 0; r < rows; r++) {
            Span s = core.span(Buffer.GLOBAL, LINE * ((long) addr + (long) r * stride), 4L * n);
            Bytes.writeF32(s.array(), s.offset(), v, r * n, n);
        }
        count.bufferWritten[Buffer.GLOBAL.ordinal()] += 4L * rows * n;
    }

    /** Valid columns of row r: a prefix [0, result) of the n columns (docs/isa.md "Mask modes"). */
    static int valid(MaskMode mode, int r, int n, Params p) {
        long limit = switch (mode) {
            case OFF -> n;
            case CTX -> p.ctxLen();
            case CAUSAL, BLOCK -> Math.min((long) p.ctxLen(), (long) p.pos() + r + 1);
        };
        return (int) Math.max(0, Math.min(n, limit));
    }

    /** Start of row r's block-sparse hole inside its valid prefix of {@code v} columns (v when none). */
    private static int holeStart(Misc x, int r, int v, Params p) {
        if (x.mask() != MaskMode.BLOCK) {
            return v;
        }
        return Math.min(v, MaskMode.holeStart(p.pos() + r, x.maskBlock(), x.maskSinks(), x.maskBand()));
    }

    /** End (exclusive) of row r's hole, clipped to the valid prefix. */
    private static int holeEnd(Misc x, int r, int v, Params p) {
        if (x.mask() != MaskMode.BLOCK) {
            return v;
        }
        return Math.min(v, MaskMode.holeEnd(p.pos() + r, x.maskBlock(), x.maskSinks(), x.maskBand()));
    }

    void execute(Misc x, Params p) {
        int n = x.n();
        int rows = x.rows();
        float[] a = rows(x.a(), x.aStride(), rows, n);
        count.sfuElements[x.op().ordinal()] += (long) rows * n;
        switch (x.op()) {
            case ADD, MUL -> {
                float[] b = rows(x.b(), x.bStride(), rows, n);
                boolean add = x.op() == MiscOp.ADD;
                for (int i = 0; i < a.length; i++) {
                    a[i] = add ? a[i] + b[i] : a[i] * b[i];
                }
                write(x.dst(), x.dStride(), rows, n, a);
            }
            case SILU -> {
                Sfu.siluMul(a, rows(x.b(), x.bStride(), rows, n), a.length);
                write(x.dst(), x.dStride(), rows, n, a);
            }
            case SCALE -> {
                for (int i = 0; i < a.length; i++) {
                    a[i] = a[i] * x.imm();
                }
                write(x.dst(), x.dStride(), rows, n, a);
            }
            case MASK -> {
                for (int r = 0; r < rows; r++) {
                    int v = valid(x.mask(), r, n, p);
                    java.util.Arrays.fill(a, r * n + v, (r + 1) * n, Float.NEGATIVE_INFINITY);
                    java.util.Arrays.fill(a, r * n + holeStart(x, r, v, p), r * n + holeEnd(x, r, v, p),
                            Float.NEGATIVE_INFINITY);
                }
                write(x.dst(), x.dStride(), rows, n, a);
            }
            case SOFTMAX -> {
                float[] row = new float[n];
                for (int r = 0; r < rows; r++) {
                    int v = valid(x.mask(), r, n, p);
                    System.arraycopy(a, r * n, row, 0, v);
                    Sfu.softmax(row, v, holeStart(x, r, v, p), holeEnd(x, r, v, p));
                    System.arraycopy(row, 0, a, r * n, v);
                    java.util.Arrays.fill(a, r * n + v, (r + 1) * n, 0.0f);
                }
                write(x.dst(), x.dStride(), rows, n, a);
            }
            case RMSNORM, LAYERNORM -> {
                float[] b = rows(x.b(), x.bStride(), rows, n);
                float[] c = x.op() == MiscOp.LAYERNORM ? rows(x.c(), 0, 1, n) : null;
                float[] in = new float[n];
                float[] w = new float[n];
                float[] y = new float[n];
                for (int r = 0; r < rows; r++) {
                    System.arraycopy(a, r * n, in, 0, n);
                    System.arraycopy(b, r * n, w, 0, n);
                    if (c == null) {
                        Sfu.rmsnorm(in, w, n, x.imm(), y);
                    } else {
                        Sfu.layernorm(in, w, c, n, x.imm(), y);
                    }
                    System.arraycopy(y, 0, a, r * n, n);
                }
                write(x.dst(), x.dStride(), rows, n, a);
            }
            case ROPE -> rope(x, a);
            case QUANT -> quant(x, a);
        }
    }

    private void rope(Misc x, float[] a) {
        int n = x.n();
        int h = x.seg() == 0 ? n : 16 * x.seg();
        if (n % h != 0) {
            throw new SimException(SimException.Kind.OPERAND, core.core(), -1, "rope over n = " + n
                    + " elements with heads of 16 x seg = " + h + ": the heads do not divide the row");
        }
        float[] table = rows(x.b(), x.bStride(), x.rows(), h);
        float[] cos = new float[h / 2];
        float[] sin = new float[h / 2];
        float[] row = new float[n];
        for (int r = 0; r < x.rows(); r++) {
            System.arraycopy(table, r * h, cos, 0, h / 2);
            System.arraycopy(table, r * h + h / 2, sin, 0, h / 2);
            System.arraycopy(a, r * n, row, 0, n);
            for (int off = 0; off < n; off += h) {
                Sfu.rope(row, off, h, cos, sin);
            }
            System.arraycopy(row, 0, a, r * n, n);
        }
        write(x.dst(), x.dStride(), x.rows(), n, a);
    }

    private void quant(Misc x, float[] a) {
        int n = x.n();
        int n16 = (n + 15) / 16 * 16;
        int segLen = x.seg() == 0 ? n16 : 16 * x.seg();
        int segments = (int) Footprint.segments(n, x.seg());
        byte[] q = new byte[n16];
        for (int r = 0; r < x.rows(); r++) {
            java.util.Arrays.fill(q, (byte) 0);
            Span sc = core.span(Buffer.SCALE, 4L * (x.sdst() + (long) r * segments), 4L * segments);
            for (int s = 0; s < segments; s++) {
                int off = s * segLen;
                int len = Math.min(segLen, n - off);
                float scale = x.fp16()
                        ? Float.float16ToFloat(Int8Quantizer.quantizeRowFp16(a, r * n + off, len, q, off))
                        : Int8Quantizer.quantizeRow(a, r * n + off, len, q, off);
                Bytes.f32(sc.array(), sc.offset() + 4 * s, scale);
            }
            Span dst = core.span(Buffer.A, LINE * ((long) x.dst() + (long) r * x.dStride()), n16);
            System.arraycopy(q, 0, dst.array(), dst.offset(), n16);
        }
        count.bufferWritten[Buffer.A.ordinal()] += (long) x.rows() * n16;
        count.bufferWritten[Buffer.SCALE.ordinal()] += 4L * x.rows() * segments;
    }
}
