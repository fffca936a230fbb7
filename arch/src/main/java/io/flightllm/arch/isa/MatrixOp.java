package io.flightllm.arch.isa;

import io.flightllm.arch.numerics.IndexEncoding;

/**
 * MM and MV in one view: an MV is an MM with one token row (m = 1, no token strides). The checker, the simulator
 * and the timing model read matrix instructions through this so both classes share one code path.
 */
public record MatrixOp(Queue queue, int m, int k, int k0, int rows, int a, int aStride, int b, int out,
                       int outStride, boolean first, boolean last, int psum, boolean ws, int wscale, int wstride,
                       int group, int ascale, int astride, boolean bias, int biasAddr, boolean relu, BLayout bLayout,
                       boolean sparse, IndexEncoding idxEnc, int bLines, int idx, int idxLines, int fsb) {

    public static MatrixOp of(Mm x) {
        return new MatrixOp(Queue.MM, x.m(), x.k(), x.k0(), x.rows(), x.a(), x.aStride(), x.b(), x.out(),
                x.outStride(), x.first(), x.last(), x.psum(), x.ws(), x.wscale(), x.wstride(), x.group(), x.ascale(),
                x.astride(), x.bias(), x.biasAddr(), x.relu(), x.bLayout(), x.sparse(), x.idxEnc(), x.bLines(),
                x.idx(), x.idxLines(), x.fsb());
    }

    public static MatrixOp of(Mv x) {
        return new MatrixOp(Queue.MV, 1, x.k(), x.k0(), x.rows(), x.a(), 0, x.b(), x.out(), 0, x.first(), x.last(),
                x.psum(), x.ws(), x.wscale(), x.wstride(), x.group(), x.ascale(), 0, x.bias(), x.biasAddr(),
                x.relu(), x.bLayout(), x.sparse(), x.idxEnc(), x.bLines(), x.idx(), x.idxLines(), x.fsb());
    }

    /** Scale groups the tile touches: ceil((k0 mod G + k) / G), or 1 when one group spans the row (G = 0). */
    public long groupsTouched() {
        return group == 0 ? 1 : ((long) (k0 % group) + k + group - 1) / group;
    }
}
