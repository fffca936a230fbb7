package io.flightllm.sim.report;

import io.flightllm.arch.isa.Buffer;
import io.flightllm.arch.isa.Instruction;
import io.flightllm.arch.isa.InstructionException;
import io.flightllm.arch.isa.Isa;
import io.flightllm.arch.isa.Ld;
import io.flightllm.arch.isa.MatrixOp;
import io.flightllm.arch.isa.Mem;
import io.flightllm.arch.isa.Mm;
import io.flightllm.arch.isa.Mv;
import io.flightllm.arch.program.Bucket;
import io.flightllm.arch.program.FlpReader;
import io.flightllm.arch.program.Program;
import io.flightllm.sim.timing.Launch;
import io.flightllm.sim.timing.TimingException;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The launches of a {@code .flp}. An MM/MV does not carry its tile's block densities; when the program has a weight
 * image they are read where the instruction's FSB area was last loaded from, exactly as the hardware reads them;
 * a shapes-only program has none, and sparse tiles then count at their mean N (exact when the row blocks of each MPE
 * pass share N, as the {@code paper} profile's bands make them; a lower bound otherwise).
 */
public final class FlpLaunchSource implements LaunchSource {
    private final Program program;
    private final FlpReader reader;
    private final int chunkRows;
    private final Map<Integer, MemorySegment> image = new HashMap<>();

    public FlpLaunchSource(FlpReader reader) {
        this.reader = reader;
        this.program = reader.program();
        long rows = program.region("input", -1).shape()[0];
        this.chunkRows = (int) rows;
        program.weightImage().forEach((ch, name) -> image.put(ch, reader.payload(name)));
    }

    /** Whether the block densities come from the weight image (else from the tiles' mean N). */
    public boolean exactDensities() {
        return !image.isEmpty();
    }

    @Override
    public int prefillChunkRows() {
        return chunkRows;
    }

    @Override
    public List<Integer> prefillBuckets() {
        return lengths(Bucket.Kind.PREFILL);
    }

    @Override
    public List<Integer> decodeBuckets() {
        return lengths(Bucket.Kind.DECODE);
    }

    private List<Integer> lengths(Bucket.Kind kind) {
        return program.buckets().stream().filter(b -> b.kind() == kind).map(Bucket::length).sorted().toList();
    }

    @Override
    public Launch launch(boolean prefill, int length) {
        Bucket b = program.bucketFor(prefill ? Bucket.Kind.PREFILL : Bucket.Kind.DECODE, length);
        List<int[]> words = new ArrayList<>();
        List<byte[][]> densities = new ArrayList<>();
        for (Bucket.Stream s : b.streams()) {
            int[] w = reader.words(s);
            words.add(w);
            densities.add(image.isEmpty() ? null : densities(w, s.core()));
        }
        return new Launch(words, image.isEmpty() ? null : densities);
    }

    /** Per matrix instruction, the N bytes its FSB area holds (from the image bytes last loaded there). */
    private byte[][] densities(int[] words, int core) {
        List<Instruction> insts;
        try {
            insts = Isa.decode(words);
        } catch (InstructionException e) {
            throw new TimingException(reader.file() + ": stream of core " + core + ": " + e.getMessage(), e);
        }
        Map<Integer, byte[]> fsb = new HashMap<>();
        List<byte[]> out = new ArrayList<>();
        for (Instruction i : insts) {
            switch (i) {
                case Ld ld when ld.target() == Buffer.FSB && ld.mem() == Mem.HBM && !ld.zero() -> {
                    MemorySegment ch = image.get(ld.channel());
                    long bytes = (long) ld.n0() * ld.n1() * ld.n2() * ld.len();
                    if (ch == null || ld.addr() + bytes > ch.byteSize() || ld.n0() * ld.n1() * ld.n2() != 1) {
                        throw new TimingException(reader.file() + ": core " + core + " loads block densities from HBM "
                                + "channel " + ld.channel() + " at " + ld.addr() + ", outside the weight image");
                    }
                    byte[] n = new byte[(int) bytes];
                    MemorySegment.copy(ch, ValueLayout.JAVA_BYTE, ld.addr(), n, 0, n.length);
                    fsb.put(ld.buf(), n);
                }
                case Mv mv -> out.add(tile(MatrixOp.of(mv), fsb));
                case Mm mm -> out.add(tile(MatrixOp.of(mm), fsb));
                default -> { }
            }
        }
        return out.toArray(byte[][]::new);
    }

    private static byte[] tile(MatrixOp x, Map<Integer, byte[]> fsb) {
        if (!x.sparse()) {
            return null;
        }
        byte[] all = fsb.get(x.fsb());
        int n = x.rows() / 16 * x.k();
        return all == null || all.length < n ? null : java.util.Arrays.copyOf(all, n);
    }
}
