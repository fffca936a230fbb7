// Co-simulation testbench for cosim_top (Verilator): "sim SEL INPUT OUTPUT" selects unit SEL, reads one hex input
// bus value per line, feeds one per clock cycle, writes one hex output bus value per line for every cycle with out_valid, and prints
// "vectors V outputs O cycles C" (C = rising edges from the first input to the last output).
// IN_W, OUT_W and DRAIN are defined on the compiler command line by the Java driver.
#include "Vcosim_top.h"
#include "verilated.h"
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

static int nibble(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

template <typename W>
static bool setBus(W& bus, int bits, const std::string& hex) {
    int words = (bits + 31) / 32;
    for (int i = 0; i < words; i++) bus[i] = 0;
    int n = (int) hex.size();
    for (int j = 0; j < n; j++) {  // j-th nibble from the least significant end
        int v = nibble(hex[n - 1 - j]);
        if (v < 0) return false;
        if (4 * j >= bits) { if (v != 0) return false; continue; }
        bus[j / 8] |= (uint32_t) v << (4 * (j % 8));
    }
    return true;
}

template <typename W>
static std::string getBus(const W& bus, int bits) {
    static const char* digits = "0123456789abcdef";
    int n = (bits + 3) / 4;
    std::string s(n, '0');
    for (int j = 0; j < n; j++) s[n - 1 - j] = digits[(bus[j / 8] >> (4 * (j % 8))) & 15];
    return s;
}

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: %s SEL INPUT.hex OUTPUT.hex\n", argv[0]);
        return 2;
    }
    int sel = std::atoi(argv[1]);
    std::ifstream in(argv[2]);
    if (!in) { std::fprintf(stderr, "%s: cannot read\n", argv[2]); return 2; }
    std::vector<std::string> lines;
    for (std::string l; std::getline(in, l);) if (!l.empty()) lines.push_back(l);
    std::ofstream out(argv[3]);
    if (!out) { std::fprintf(stderr, "%s: cannot write\n", argv[3]); return 2; }

    auto ctx = std::make_unique<VerilatedContext>();
    auto top = std::make_unique<Vcosim_top>(ctx.get());
    top->sel = sel;
    top->rst = 1; top->in_valid = 0;
    for (int i = 0; i < 4; i++) { top->clk = 0; top->eval(); top->clk = 1; top->eval(); }
    top->rst = 0;
    size_t fed = 0, got = 0;
    long cycles = 0, limit = (long) lines.size() + DRAIN;
    while (got < lines.size() && cycles < limit) {
        top->in_valid = fed < lines.size();
        if (fed < lines.size() && !setBus(top->in_bus, IN_W, lines[fed])) {
            std::fprintf(stderr, "input line %zu is not %d-bit hex\n", fed + 1, IN_W);
            return 2;
        }
        top->clk = 0; top->eval();
        top->clk = 1; top->eval();
        if (fed < lines.size()) fed++;
        cycles++;
        if (top->out_valid) { out << getBus(top->out_bus, OUT_W) << '\n'; got++; }
    }
    top->final();
    std::printf("vectors %zu outputs %zu cycles %ld\n", lines.size(), got, cycles);
    return 0;
}
