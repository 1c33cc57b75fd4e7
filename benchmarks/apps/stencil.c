/* Benchmark kernel: a Jacobi 2-D five-point stencil, as PolyBench's jacobi-2d: T time steps on an
 * N x N grid, alternating between two arrays.  Loads dominate (five per point), blocks are medium-sized.
 * `stencil [N]` (default 1200: T = 100 steps, about 0.4 s on wasmtime); prints a checksum so instrumented
 * runs can be compared with the uninstrumented one. */
#include <stdio.h>
#include <stdlib.h>

#define STEPS 100

static double *grid(int n) {
    double *g = malloc(sizeof(double) * (size_t)n * (size_t)n);
    if (g == NULL) {
        fprintf(stderr, "stencil: out of memory for N = %d\n", n);
        exit(1);
    }
    return g;
}

static void kernel_jacobi_2d(int steps, int n, double *a, double *b) {
    for (int t = 0; t < steps; t++) {
        for (int i = 1; i < n - 1; i++)
            for (int j = 1; j < n - 1; j++)
                b[i * n + j] = 0.2 * (a[i * n + j] + a[i * n + j - 1] + a[i * n + j + 1] + a[(i + 1) * n + j] +
                                      a[(i - 1) * n + j]);
        for (int i = 1; i < n - 1; i++)
            for (int j = 1; j < n - 1; j++)
                a[i * n + j] = 0.2 * (b[i * n + j] + b[i * n + j - 1] + b[i * n + j + 1] + b[(i + 1) * n + j] +
                                      b[(i - 1) * n + j]);
    }
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 1200;
    if (n < 3 || n > 8000) {
        fprintf(stderr, "stencil: N must be 3..8000, not %s\n", argv[1]);
        return 2;
    }
    double *a = grid(n), *b = grid(n);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            a[i * n + j] = ((double)i * (j + 2) + 2) / n;
            b[i * n + j] = ((double)i * (j + 3) + 3) / n;
        }
    kernel_jacobi_2d(STEPS, n, a, b);
    double checksum = 0.0;
    for (int i = 0; i < n * n; i++) checksum += a[i] * (double)(i % 5 + 1);
    printf("stencil N=%d T=%d checksum %.10e\n", n, STEPS, checksum);
    return 0;
}
