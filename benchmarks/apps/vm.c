/* Benchmark kernel: a switch-dispatch bytecode interpreter (a stack machine; clang compiles the switch to
 * a br_table) running a program that sums, for n < N, a mix of arithmetic, comparisons and conditional
 * jumps.  Short basic blocks and an indirect branch per bytecode: the worst case for per-block counters.
 * `vm [N]` (default 4000000, about 0.4 s on wasmtime); prints a checksum so instrumented runs can be
 * compared with the uninstrumented one. */
#include <stdio.h>
#include <stdlib.h>

enum op { PUSH, LOAD, STORE, ADD, SUB, MUL, AND, XOR, SHR, LT, JZ, JMP, DUP, DROP, HALT };

typedef struct {
    enum op op;
    int arg;
} instr;

/* Variables: 0 = n, 1 = limit, 2 = acc, 3 = x. */
static const instr program[] = {
    /* 0 */ {LOAD, 0}, {LOAD, 1}, {LT, 0}, {JZ, 32},                       /* while (n < limit) { */
    /* 4 */ {LOAD, 0}, {DUP, 0}, {MUL, 0}, {PUSH, 0x7fff}, {AND, 0}, {STORE, 3}, /*   x = n*n & 0x7fff */
    /* 10 */ {LOAD, 3}, {PUSH, 3}, {AND, 0}, {JZ, 21},                     /*   if (x & 3) */
    /* 14 */ {LOAD, 2}, {LOAD, 3}, {XOR, 0}, {PUSH, 1}, {SHR, 0}, {STORE, 2}, {JMP, 27}, /* acc = (acc^x)>>1 */
    /* 21 */ {LOAD, 2}, {LOAD, 3}, {ADD, 0}, {DUP, 0}, {STORE, 2}, {DROP, 0}, /* else acc += x (dup/drop) */
    /* 27 */ {LOAD, 0}, {PUSH, 1}, {ADD, 0}, {STORE, 0}, {JMP, 0},         /*   n++ } */
    /* 32 */ {HALT, 0},
};

static unsigned run(const instr *code, int limit) {
    int stack[64], vars[4] = {0}, sp = 0, pc = 0;
    vars[1] = limit;
    for (;;) {
        instr in = code[pc++];
        switch (in.op) {
        case PUSH: stack[sp++] = in.arg; break;
        case LOAD: stack[sp++] = vars[in.arg]; break;
        case STORE: vars[in.arg] = stack[--sp]; break;
        case ADD: sp--; stack[sp - 1] += stack[sp]; break;
        case SUB: sp--; stack[sp - 1] -= stack[sp]; break;
        case MUL: sp--; stack[sp - 1] *= stack[sp]; break;
        case AND: sp--; stack[sp - 1] &= stack[sp]; break;
        case XOR: sp--; stack[sp - 1] ^= stack[sp]; break;
        case SHR: sp--; stack[sp - 1] = (int)((unsigned)stack[sp - 1] >> stack[sp]); break;
        case LT: sp--; stack[sp - 1] = stack[sp - 1] < stack[sp]; break;
        case JZ: if (!stack[--sp]) pc = in.arg; break;
        case JMP: pc = in.arg; break;
        case DUP: stack[sp] = stack[sp - 1]; sp++; break;
        case DROP: sp--; break;
        case HALT: return (unsigned)vars[2];
        }
    }
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 4000000;
    if (n < 0) {
        fprintf(stderr, "vm: N must be >= 0, not %s\n", argv[1]);
        return 2;
    }
    printf("vm N=%d checksum %u\n", n, run(program, n));
    return 0;
}
