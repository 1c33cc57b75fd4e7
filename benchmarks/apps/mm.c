/* Benchmark kernel: two chained dense matrix multiplies, as PolyBench's 2mm (tmp = alpha*A*B;
 * D = tmp*C + beta*D) on N x N doubles.  Tight counted loops with long basic blocks: the case where a
 * per-block instruction counter is cheapest.  `mm [N]` (default 480, about 0.45 s on wasmtime); prints a
 * checksum so instrumented runs can be compared with the uninstrumented one. */
#include <stdio.h>
#include <stdlib.h>

static double *matrix(int n) {
    double *m = malloc(sizeof(double) * (size_t)n * (size_t)n);
    if (m == NULL) {
        fprintf(stderr, "mm: out of memory for N = %d\n", n);
        exit(1);
    }
    return m;
}

static void init(int n, double *a, double *b, double *c, double *d) {
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            a[i * n + j] = (double)((i * j + 1) % n) / n;
            b[i * n + j] = (double)(i * (j + 1) % n) / n;
            c[i * n + j] = (double)((i * (j + 3) + 1) % n) / n;
            d[i * n + j] = (double)(i * (j + 2) % n) / n;
        }
}

static void kernel_2mm(int n, double alpha, double beta, const double *a, const double *b, const double *c,
                       double *d, double *tmp) {
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double sum = 0.0;
            for (int k = 0; k < n; k++) sum += alpha * a[i * n + k] * b[k * n + j];
            tmp[i * n + j] = sum;
        }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double sum = d[i * n + j] * beta;
            for (int k = 0; k < n; k++) sum += tmp[i * n + k] * c[k * n + j];
            d[i * n + j] = sum;
        }
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 480;
    if (n < 1 || n > 4000) {
        fprintf(stderr, "mm: N must be 1..4000, not %s\n", argv[1]);
        return 2;
    }
    double *a = matrix(n), *b = matrix(n), *c = matrix(n), *d = matrix(n), *tmp = matrix(n);
    init(n, a, b, c, d);
    kernel_2mm(n, 1.5, 1.2, a, b, c, d, tmp);
    double checksum = 0.0;
    for (int i = 0; i < n * n; i++) checksum += d[i] * (double)(i % 7 + 1);
    printf("mm N=%d checksum %.10e\n", n, checksum);
    return 0;
}
