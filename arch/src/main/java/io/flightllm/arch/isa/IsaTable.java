package io.flightllm.arch.isa;

import io.flightllm.arch.numerics.IndexEncoding;

import java.util.ArrayList;
import java.util.List;

/**
 * The field table of ISA v1: the only place the instruction layouts are written down. Encoding, decoding, the
 * assembler, the disassembler, the static checker's field checks and docs/isa.md are all derived from it. Word 0 of
 * every instruction starts with the opcode [31:28], the wait mask [27:23] and the release mask [22:18]
 * (BRIEF.md section 4); bits are [hi:lo], inclusive.
 */
final class IsaTable {
    private IsaTable() {
    }

    private static final Domain FLAG = new Domain.Flag();

    /** An unsigned count or size. */
    private static Domain.UInt num(int bits) {
        return new Domain.UInt(bits, 0, 1, false);
    }

    /** A count that starts at 1 (raw 0 means 1). */
    private static Domain.UInt count(int bits) {
        return new Domain.UInt(bits, 1, 1, false);
    }

    /** An address, shown in hex. */
    private static Domain.UInt addr(int bits) {
        return new Domain.UInt(bits, 0, 1, true);
    }

    private static Domain.Choice choice(Class<? extends Enum<?>> type, int bits) {
        return new Domain.Choice(type, bits);
    }

    private static Field f(String name, int word, int hi, int lo, Domain d, String doc) {
        return Field.of(name, word, hi, lo, d, doc);
    }

    private static Field reserved(int word, int hi, int lo) {
        return f("reserved_w" + word, word, hi, lo, new Domain.Zero(hi - lo + 1), "reserved, must be 0");
    }

    private static Format format(Queue q, int opcode, int words, Class<? extends Instruction> type, Field... body) {
        List<Field> all = new ArrayList<>();
        all.add(f("opcode", 0, 31, 28, new Domain.Const(4, opcode), "instruction class"));
        all.add(new Field("wait", "waits", List.of(new Slice(0, 27, 23)), new Domain.Tokens(q),
                "queues whose token this instruction takes before it starts (blocks while the counter is 0)"));
        all.add(new Field("release", "releases", List.of(new Slice(0, 22, 18)), new Domain.Tokens(q),
                "queues this instruction gives a token when it completes (blocks while the counter is full)"));
        all.addAll(List.of(body));
        return new Format(q, opcode, words, all, type);
    }

    // Fields shared by MM and MV (words 0 to 7 and the top of word 8).
    private static List<Field> matrixCommon() {
        return List.of(
                f("k", 0, 17, 6, count(12), "K: 16-column blocks in this tile"),
                f("sparse", 0, 5, 5, FLAG, "B holds only the kept values of N:16 blocks (N per block in FSB, "
                        + "column indices in META)"),
                f("idx_enc", 0, 4, 4, choice(IndexEncoding.class, 1), "encoding of the META indices (sparse)"),
                f("b_layout", 0, 3, 3, choice(BLayout.class, 1), "layout of a dense B tile"),
                f("bias", 0, 2, 2, FLAG, "add the FP32 bias of each row after the last group (when last)"),
                f("relu", 0, 1, 1, FLAG, "y = max(y, +0.0) after the bias (when last)"),
                f("ws", 0, 0, 0, FLAG, "multiply by weight scales read from SCALE; 0: every weight scale is 1.0"),
                f("a", 1, 31, 12, addr(20), "A address (lines) of the activation row(s)"),
                f("k0", 1, 11, 0, num(12), "absolute index of the tile's first block in the row: the tile starts "
                        + "k0 mod G blocks into group floor(k0 / G), whose lane is that index mod 16"),
                f("out", 2, 31, 14, addr(18), "GLOBAL address (lines) of the FP32 results (when last)"),
                f("rows", 2, 13, 4, new Domain.UInt(10, 1, 16, false), "output rows (weight rows) of the tile"),
                f("first", 2, 3, 3, FLAG, "first tile of the row: the 16 partials start at +0.0 and the open group "
                        + "sum at 0; else both are read from psum"),
                f("last", 2, 2, 2, FLAG, "last tile: close the open group, reduce the partials, add bias, relu, "
                        + "write out; else write partials and open group sum to psum"),
                reserved(2, 1, 0),
                f("psum", 3, 31, 14, addr(18), "GLOBAL address (lines) of the partial-sum records (unless first and "
                        + "last): 5 lines per (token, row)"),
                f("fsb", 3, 13, 2, addr(12), "FSB address (lines) of the per-block N bytes, [rows/16][k] (sparse)"),
                reserved(3, 1, 0),
                f("b", 4, 31, 16, addr(16), "B address (lines) of the weight tile"),
                f("b_lines", 4, 15, 0, num(16), "B lines the tile's kept values occupy (sparse; 0 when dense)"),
                f("idx", 5, 31, 16, addr(16), "META address (lines) of the tile's indices (sparse)"),
                f("idx_lines", 5, 15, 0, num(16), "META lines the tile's indices occupy (sparse; 0 when dense)"),
                f("wscale", 6, 31, 16, addr(16), "SCALE entry of the weight scale of row 0's first group (ws)"),
                f("bias_addr", 6, 15, 0, addr(16), "BIAS address (lines) of row 0's bias (bias)"),
                f("ascale", 7, 31, 16, addr(16), "SCALE entry of the activation scale (of token 0)"),
                f("wstride", 8, 31, 20, num(12), "SCALE entries between consecutive rows' weight scales (ws)"),
                f("group", 8, 19, 8, num(12), "G: 16-column blocks per scale group; 0: one group spans the row"));
    }

    static final Format LD = format(Queue.LD, 0b0001, 8, Ld.class,
            f("target", 0, 17, 15, choice(Buffer.class, 3), "destination buffer"),
            f("wbits", 0, 14, 13, new Domain.Values(2, List.of(8, 2, 3, 4)), "dequantizer width: each chunk is a "
                    + "bit stream of floor(8 len / wbits) signed wbits-bit values, written as INT8 (8: plain copy; "
                    + "below 8 only into B)"),
            f("fp16", 0, 12, 12, FLAG, "each chunk holds len/2 FP16 values, written widened to FP32 (into GLOBAL "
                    + "or SCALE only)"),
            f("zero", 0, 11, 11, FLAG, "write len zero bytes per chunk instead of reading memory"),
            f("mem", 0, 10, 10, choice(Mem.class, 1), "source memory"),
            f("param", 0, 9, 8, choice(Param.class, 2), "parameter added to the address: addr + value x pstride"),
            f("channel", 0, 7, 2, num(6), "HBM channel (DDR: 0)"),
            reserved(0, 1, 0),
            f("addr", 1, 31, 0, addr(32), "byte address of chunk (0,0,0) in the channel"),
            f("s0", 2, 31, 0, num(32), "bytes between chunks of loop 0 (innermost)"),
            f("s1", 3, 31, 0, num(32), "bytes between chunks of loop 1"),
            f("s2", 4, 31, 0, num(32), "bytes between chunks of loop 2 (outermost)"),
            f("buf", 5, 31, 12, addr(20), "destination address (target units); chunk outputs are written "
                    + "contiguously in loop order, loop 0 fastest"),
            f("n0", 5, 11, 0, count(12), "iterations of loop 0"),
            f("len", 6, 31, 12, count(20), "bytes read per chunk"),
            f("n1", 6, 11, 0, count(12), "iterations of loop 1"),
            f("pstride", 7, 31, 12, num(20), "bytes per unit of the parameter"),
            f("n2", 7, 11, 0, count(12), "iterations of loop 2"));

    static final Format ST = format(Queue.ST, 0b0010, 6, St.class,
            f("src", 0, 17, 15, choice(Buffer.class, 3), "source buffer"),
            f("fp16", 0, 14, 14, FLAG, "read FP32 values and write them narrowed to FP16 (round to nearest even; "
                    + "from GLOBAL or SCALE only): a chunk consumes 2 len source bytes"),
            f("mem", 0, 13, 13, choice(Mem.class, 1), "destination memory"),
            f("param", 0, 12, 11, choice(Param.class, 2), "parameter added to the address: addr + value x pstride"),
            f("channel", 0, 10, 5, num(6), "HBM channel (DDR: 0)"),
            reserved(0, 4, 0),
            f("addr", 1, 31, 0, addr(32), "byte address of chunk 0 in the channel"),
            f("stride", 2, 31, 0, num(32), "bytes between chunks in memory"),
            f("buf", 3, 31, 12, addr(20), "source address (src units); chunks are read contiguously"),
            f("n", 3, 11, 0, count(12), "chunks"),
            f("len", 4, 31, 12, count(20), "bytes written per chunk"),
            reserved(4, 11, 0),
            f("pstride", 5, 31, 12, num(20), "bytes per unit of the parameter"),
            reserved(5, 11, 0));

    static final Format MM = matrixFormat(Queue.MM, 0b0011, 10, Mm.class,
            f("out_stride", 7, 15, 0, num(16), "GLOBAL lines between the result rows of consecutive tokens"),
            f("astride", 8, 7, 0, num(8), "SCALE entries between consecutive tokens' activation scales"),
            f("m", 9, 31, 20, count(12), "token rows of A"),
            f("a_stride", 9, 19, 8, num(12), "A lines between consecutive token rows"),
            reserved(9, 7, 0));

    static final Format MV = matrixFormat(Queue.MV, 0b0100, 9, Mv.class,
            reserved(7, 15, 0),
            reserved(8, 7, 0));

    private static Format matrixFormat(Queue q, int opcode, int words, Class<? extends Instruction> type,
                                       Field... tail) {
        List<Field> body = new ArrayList<>(matrixCommon());
        body.addAll(List.of(tail));
        return format(q, opcode, words, type, body.toArray(Field[]::new));
    }

    static final Format MISC = format(Queue.MISC, 0b0101, 8, Misc.class,
            f("op", 0, 17, 14, choice(MiscOp.class, 4), "operation"),
            f("mask", 0, 13, 12, choice(MaskMode.class, 2), "valid columns (softmax, mask)"),
            f("fp16", 0, 11, 11, FLAG, "round each scale to FP16 before quantizing (quant: KV cache)"),
            f("seg", 0, 10, 0, num(11), "16-element blocks per segment: the quant scale segment or the RoPE head; "
                    + "0: the whole row"),
            f("imm", 1, 31, 0, new Domain.Fp32(), "FP32 constant: eps (norms) or the factor (scale)"),
            f("a", 2, 31, 14, addr(18), "GLOBAL address (lines) of row 0 of the input"),
            f("a_stride", 2, 13, 0, num(14), "lines between input rows"),
            f("b", 3, 31, 14, addr(18), "GLOBAL address (lines) of row 0 of the second operand"),
            f("b_stride", 3, 13, 0, num(14), "lines between rows of the second operand (0: one row for all)"),
            f("c", 4, 31, 14, addr(18), "GLOBAL address (lines) of the LayerNorm bias row"),
            f("d_stride", 4, 13, 0, num(14), "lines between result rows (A lines for quant)"),
            f("dst", 5, 31, 12, addr(20), "result address: GLOBAL lines (A lines for quant)"),
            f("rows", 5, 11, 0, count(12), "rows"),
            f("n", 6, 31, 16, count(16), "elements per row (the real count: norms divide by it)"),
            f("sdst", 6, 15, 0, addr(16), "SCALE entry of quant's first scale"),
            f("mask_block", 7, 31, 20, num(12), "mask=block: positions per key/query block (a multiple of 16)"),
            f("mask_sinks", 7, 19, 10, num(10), "mask=block: leading sink blocks every row attends to"),
            f("mask_band", 7, 9, 0, num(10), "mask=block: blocks of the local band, the row's own included"));

    static final Format SYS = format(Queue.SYS, 0b1111, 1, Sys.class,
            f("op", 0, 17, 16, choice(SysOp.class, 2), "operation"),
            reserved(0, 15, 0));

    static final List<Format> ALL = List.of(LD, ST, MM, MV, MISC, SYS);
}
