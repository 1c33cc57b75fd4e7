/* A small stack-machine interpreter (a switch-dispatch loop) running a program that computes
 * primes and a Collatz statistic.  With no argument it finishes in milliseconds; `interp 150`
 * takes ~1.5 s on wasmtime: the compute-bound workload benchmarks/overhead.py measures. */
#include <stdio.h>
#include <stdlib.h>

enum op { PUSH, LOAD, STORE, ADD, SUB, MUL, MOD, LT, JZ, JMP, DUP, DROP, HALT };

typedef struct { enum op op; int arg; } instr;

/* vars: 0 = n, 1 = limit, 2 = d, 3 = count, 4 = is_prime */
static int run(const instr *code, int limit) {
    int stack[64], vars[8] = {0}, sp = 0, pc = 0;
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
        case MOD: sp--; stack[sp - 1] %= stack[sp]; break;
        case LT: sp--; stack[sp - 1] = stack[sp - 1] < stack[sp]; break;
        case JZ: if (!stack[--sp]) pc = in.arg; break;
        case JMP: pc = in.arg; break;
        case DUP: stack[sp] = stack[sp - 1]; sp++; break;
        case DROP: sp--; break;
        case HALT: return vars[3];
        }
    }
}

static int collatz_steps(long long x) {
    int steps = 0;
    while (x != 1) {
        x = x % 2 ? 3 * x + 1 : x / 2;
        steps++;
    }
    return steps;
}

int main(int argc, char **argv) {
    int scale = argc > 1 ? atoi(argv[1]) : 1;
    /* The program is assembled at start-up so the interpreter works on data, not constants. */
    static instr code[64];
    int n = 0;
#define EMIT(o, a) (code[n++] = (instr){o, a})
    EMIT(PUSH, 2); EMIT(STORE, 0); EMIT(PUSH, 0); EMIT(STORE, 3);
    int outer = n;
    EMIT(LOAD, 0); EMIT(LOAD, 1); EMIT(LT, 0); int exit_jump = n; EMIT(JZ, 0);
    EMIT(PUSH, 1); EMIT(STORE, 4); EMIT(PUSH, 2); EMIT(STORE, 2);
    int inner = n;
    EMIT(LOAD, 2); EMIT(LOAD, 2); EMIT(MUL, 0); EMIT(LOAD, 0); EMIT(PUSH, 1); EMIT(ADD, 0);
    EMIT(LT, 0); int inner_exit = n; EMIT(JZ, 0);
    EMIT(LOAD, 0); EMIT(LOAD, 2); EMIT(MOD, 0); int not_prime = n; EMIT(JZ, 0);
    EMIT(LOAD, 2); EMIT(PUSH, 1); EMIT(ADD, 0); EMIT(STORE, 2); EMIT(JMP, inner);
    int composite = n;
    EMIT(PUSH, 0); EMIT(STORE, 4);
    int done_inner = n;
    EMIT(LOAD, 3); EMIT(LOAD, 4); EMIT(ADD, 0); EMIT(STORE, 3);
    EMIT(LOAD, 0); EMIT(PUSH, 1); EMIT(ADD, 0); EMIT(STORE, 0); EMIT(JMP, outer);
    int halt = n;
    EMIT(HALT, 0);
    code[exit_jump].arg = halt;
    code[inner_exit].arg = done_inner;
    code[not_prime].arg = composite;

    int limit = 2000 * scale;
    printf("primes below %d: %d\n", limit, run(code, limit));
    int best = 0, best_start = 0;
    for (int i = 1; i < 3000 * scale; i++) {
        int s = collatz_steps(i);
        if (s > best) {
            best = s;
            best_start = i;
        }
    }
    printf("longest collatz chain below %d starts at %d (%d steps)\n", 3000 * scale, best_start, best);
    return 0;
}
