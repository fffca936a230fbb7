package io.flightllm.sim;

import io.flightllm.arch.isa.Instruction;
import io.flightllm.arch.isa.Isa;
import io.flightllm.arch.isa.InstructionException;
import io.flightllm.arch.program.Bucket;
import io.flightllm.arch.program.FlpReader;
import io.flightllm.arch.program.ModelAbi;
import io.flightllm.arch.program.Program;
import io.flightllm.arch.program.Region;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@code .flp} program loaded into the simulated device: the weight image in its HBM channels, the DDR image (the
 * RoPE table), and the host's side of the ABI. A host (the runtime's SimDevice, the tests) calls
 * {@link #writeInput}, {@link #setParams}, {@link #launch} and {@link #readLogits} per step; the KV cache stays in
 * HBM between launches as on the device.
 */
public final class FunctionalSim {
    private final Program program;
    private final FlpReader reader;
    private final Machine machine;
    private final Region input;
    private final Region logits;
    private final Region params;
    private final Map<String, List<List<Instruction>>> decoded = new HashMap<>();
    private Params current;

    private FunctionalSim(Program program, FlpReader reader, SimOptions options) {
        this.program = program;
        this.reader = reader;
        this.machine = new Machine(program.target(), options);
        this.input = program.region("input", -1);
        this.logits = program.region("logits", -1);
        this.params = program.region("params", -1);
        if (program.options().shapesOnly() || program.weightImage().isEmpty()) {
            throw new SimException(SimException.Kind.LAUNCH, -1, -1, reader.file() + " was compiled shapes-only: "
                    + "it has no weight image to execute");
        }
        program.weightImage().forEach((ch, name) -> machine.hbm(ch).write(0, reader.payload(name)));
        if (program.ddrImage() != null) {
            machine.ddr().write(0, reader.payload(program.ddrImage()));
        }
    }

    /** Loads {@code program} (as read by {@code reader}) into a fresh device. */
    public static FunctionalSim load(Program program, FlpReader reader) {
        return load(program, reader, SimOptions.defaults());
    }

    public static FunctionalSim load(Program program, FlpReader reader, SimOptions options) {
        return new FunctionalSim(program, reader, options);
    }

    public Program program() {
        return program;
    }

    public ModelAbi model() {
        return program.model();
    }

    /** The device, for inspection (tests, reports). */
    public Machine machine() {
        return machine;
    }

    public Counters counters() {
        return machine.counters();
    }

    /** Rows one launch's input and logits regions hold. */
    public int maxRows() {
        return (int) Math.min(input.shape()[0], logits.shape()[0]);
    }

    /**
     * Writes the FP32 input rows (embeddings) of the next launch; each row holds at most {@code dim} values and is
     * zero-padded to the region's row width; rows after the given ones are zeroed.
     */
    public void writeInput(float[][] rows) {
        long[] shape = input.shape();
        if (rows.length > shape[0]) {
            throw new IllegalArgumentException(rows.length + " input rows; the input region holds " + shape[0]);
        }
        int width = (int) shape[1];
        byte[] bytes = new byte[Math.toIntExact(input.bytes())];
        for (int r = 0; r < rows.length; r++) {
            if (rows[r].length > width) {
                throw new IllegalArgumentException("input row " + r + " has " + rows[r].length + " values; the "
                        + "region's rows hold " + width);
            }
            Bytes.writeF32(bytes, 4 * r * width, rows[r], 0, rows[r].length);
        }
        machine.hbm(input.channel()).write(input.address(), bytes, 0, bytes.length);
    }

    /** Writes the parameter block {pos, ctx_len, n_valid_rows} the next launch reads. */
    public void setParams(int pos, int ctxLen, int nValidRows) {
        Params p = new Params(pos, ctxLen, nValidRows);
        byte[] b = new byte[12];
        Bytes.i32(b, 0, pos);
        Bytes.i32(b, 4, ctxLen);
        Bytes.i32(b, 8, nValidRows);
        machine.ddr().write(params.address(), b, 0, b.length);
        current = p;
    }

    /** Runs one bucket's streams with the parameter block as the host last wrote it. */
    public void launch(Bucket bucket) {
        launch(streams(bucket));
    }

    /** Runs the given per-core streams (a bucket's, or modified ones in tests) with the current parameter block. */
    public void launch(List<? extends List<Instruction>> streams) {
        if (current == null) {
            throw new SimException(SimException.Kind.LAUNCH, -1, -1, "launch before setParams: the parameter block "
                    + "was never written");
        }
        byte[] b = new byte[12];
        machine.ddr().read(params.address(), b, 0, b.length);
        machine.run(streams, new Params(Bytes.i32(b, 0), Bytes.i32(b, 4), Bytes.i32(b, 8)));
    }

    /** The decoded per-core streams of a bucket (decoded once, then cached). */
    public List<List<Instruction>> streams(Bucket bucket) {
        String key = bucket.kind() + "." + bucket.length();
        List<List<Instruction>> s = decoded.get(key);
        if (s == null) {
            s = new ArrayList<>();
            for (Bucket.Stream st : bucket.streams()) {
                try {
                    s.add(Isa.decode(reader.words(st)));
                } catch (InstructionException e) {
                    throw new SimException(SimException.Kind.LAUNCH, st.core(), -1, reader.file() + ": " + key
                            + " stream of core " + st.core() + ": " + e.getMessage());
                }
            }
            decoded.put(key, s);
        }
        return s;
    }

    /** The first {@code rows} rows of the logits region ({@code vocab} FP32 values each). */
    public float[][] readLogits(int rows) {
        long[] shape = logits.shape();
        if (rows < 0 || rows > shape[0]) {
            throw new IllegalArgumentException(rows + " logit rows; the logits region holds " + shape[0]);
        }
        int vocab = (int) shape[1];
        byte[] bytes = new byte[4 * rows * vocab];
        machine.hbm(logits.channel()).read(logits.address(), bytes, 0, bytes.length);
        float[][] out = new float[rows][vocab];
        for (int r = 0; r < rows; r++) {
            Bytes.readF32(bytes, 4 * r * vocab, out[r], 0, vocab);
        }
        return out;
    }

    /** Overwrites one byte of an HBM channel (tests corrupt the weight image with it). */
    public void pokeHbm(int channel, long address, byte value) {
        machine.hbm(channel).writeByte(address, value);
    }

    /** A weight-image payload as loaded (for tests that need to know where weights are). */
    public MemorySegment weightImage(int channel) {
        String name = program.weightImage().get(channel);
        return name == null ? MemorySegment.NULL : reader.payload(name);
    }
}
