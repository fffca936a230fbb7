package io.flightllm.sim.timing;

import java.util.Arrays;

/** A binary min-heap of (time, payload) events; equal times leave in insertion order, so runs are deterministic. */
final class EventHeap {
    private double[] time = new double[64];
    private long[] seq = new long[64];
    private int[] payload = new int[64];
    private int size;
    private long next;

    void push(double t, int p) {
        if (size == time.length) {
            time = Arrays.copyOf(time, 2 * size);
            seq = Arrays.copyOf(seq, 2 * size);
            payload = Arrays.copyOf(payload, 2 * size);
        }
        int i = size++;
        long s = next++;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (!less(t, s, time[parent], seq[parent])) {
                break;
            }
            time[i] = time[parent];
            seq[i] = seq[parent];
            payload[i] = payload[parent];
            i = parent;
        }
        time[i] = t;
        seq[i] = s;
        payload[i] = p;
    }

    boolean isEmpty() {
        return size == 0;
    }

    double peekTime() {
        return time[0];
    }

    int peekPayload() {
        return payload[0];
    }

    void pop() {
        size--;
        if (size == 0) {
            return;
        }
        double t = time[size];
        long s = seq[size];
        int p = payload[size];
        int i = 0;
        while (true) {
            int l = 2 * i + 1;
            if (l >= size) {
                break;
            }
            int r = l + 1;
            int m = r < size && less(time[r], seq[r], time[l], seq[l]) ? r : l;
            if (!less(time[m], seq[m], t, s)) {
                break;
            }
            time[i] = time[m];
            seq[i] = seq[m];
            payload[i] = payload[m];
            i = m;
        }
        time[i] = t;
        seq[i] = s;
        payload[i] = p;
    }

    private static boolean less(double t1, long s1, double t2, long s2) {
        return t1 < t2 || (t1 == t2 && s1 < s2);
    }
}
