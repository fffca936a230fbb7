package io.flightllm.sim;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One off-chip memory (an HBM channel or the DDR) of a fixed capacity, stored sparsely in pages that exist only once
 * written: a U280 channel is 256 MiB and a program touches a few MiB of most channels. Unwritten bytes read as zero.
 * Callers check bounds against {@link #capacity()} before an access (the simulator does it per instruction from the
 * instruction's footprint); the methods here only refuse what would leave the memory.
 */
public final class OffChipMemory {
    private static final int PAGE_BITS = 16;
    private static final int PAGE = 1 << PAGE_BITS;

    private final String name;
    private final long capacity;
    private final byte[][] pages;

    public OffChipMemory(String name, long capacity) {
        this.name = name;
        this.capacity = capacity;
        this.pages = new byte[Math.toIntExact((capacity + PAGE - 1) >>> PAGE_BITS)][];
    }

    public String name() {
        return name;
    }

    public long capacity() {
        return capacity;
    }

    private void check(long addr, long len) {
        if (addr < 0 || len < 0 || addr > capacity - len) {
            throw new IndexOutOfBoundsException(name + ": bytes [" + addr + ", " + (addr + len) + ") leave its "
                    + capacity + " bytes");
        }
    }

    /** Copies {@code len} bytes at {@code addr} into {@code dst[off..]}. */
    public void read(long addr, byte[] dst, int off, int len) {
        check(addr, len);
        while (len > 0) {
            int p = (int) (addr >>> PAGE_BITS);
            int in = (int) (addr & (PAGE - 1));
            int n = Math.min(len, PAGE - in);
            byte[] page = pages[p];
            if (page == null) {
                java.util.Arrays.fill(dst, off, off + n, (byte) 0);
            } else {
                System.arraycopy(page, in, dst, off, n);
            }
            addr += n;
            off += n;
            len -= n;
        }
    }

    /** Copies {@code src[off .. off + len)} to {@code addr}. */
    public void write(long addr, byte[] src, int off, int len) {
        check(addr, len);
        while (len > 0) {
            int p = (int) (addr >>> PAGE_BITS);
            int in = (int) (addr & (PAGE - 1));
            int n = Math.min(len, PAGE - in);
            System.arraycopy(src, off, page(p), in, n);
            addr += n;
            off += n;
            len -= n;
        }
    }

    /** Copies a whole segment (a weight-image payload) to {@code addr}. */
    public void write(long addr, MemorySegment src) {
        check(addr, src.byteSize());
        long done = 0;
        while (done < src.byteSize()) {
            long at = addr + done;
            int p = (int) (at >>> PAGE_BITS);
            int in = (int) (at & (PAGE - 1));
            int n = (int) Math.min(src.byteSize() - done, PAGE - in);
            MemorySegment.copy(src, ValueLayout.JAVA_BYTE, done, page(p), in, n);
            done += n;
        }
    }

    public byte readByte(long addr) {
        check(addr, 1);
        byte[] page = pages[(int) (addr >>> PAGE_BITS)];
        return page == null ? 0 : page[(int) (addr & (PAGE - 1))];
    }

    public void writeByte(long addr, byte v) {
        check(addr, 1);
        page((int) (addr >>> PAGE_BITS))[(int) (addr & (PAGE - 1))] = v;
    }

    /** Bytes held in allocated pages (for reports). */
    public long residentBytes() {
        long n = 0;
        for (byte[] p : pages) {
            n += p == null ? 0 : PAGE;
        }
        return n;
    }

    private byte[] page(int p) {
        byte[] page = pages[p];
        if (page == null) {
            page = new byte[PAGE];
            pages[p] = page;
        }
        return page;
    }
}
