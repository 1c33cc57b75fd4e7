/* The cache example's application: sums a 64x64 int matrix twice, row by row (consecutive
 * addresses) and column by column (a 256-byte stride), in two functions so the report can tell the
 * access patterns apart. */
#include <stdio.h>

#define N 64
static int m[N][N];

__attribute__((noinline)) static void fill(void) {
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            m[i][j] = i * N + j;
}

__attribute__((noinline)) static long sum_rows(void) {
    long s = 0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            s += m[i][j];
    return s;
}

__attribute__((noinline)) static long sum_cols(void) {
    long s = 0;
    for (int j = 0; j < N; j++)
        for (int i = 0; i < N; i++)
            s += m[i][j];
    return s;
}

int main(void) {
    fill();
    long rows = sum_rows();
    long cols = sum_cols();
    printf("row-major sum %ld\ncolumn-major sum %ld\n", rows, cols);
    return rows == cols ? 0 : 1;
}
