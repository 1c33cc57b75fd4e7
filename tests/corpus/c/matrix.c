/* Floating point: matrix multiplication, a Jacobi iteration and a Mandelbrot row, printed with a
 * fixed number of decimals.  Ends with exit(3) after flushing, so the corpus covers a non-zero exit
 * status through proc_exit. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define N 24

static double a[N][N], b[N][N], c[N][N];

int main(void) {
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            a[i][j] = sin(i + 1) * cos(j + 1);
            b[i][j] = (i == j) ? 2.0 : 1.0 / (1 + i + j);
        }
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            double s = 0;
            for (int k = 0; k < N; k++)
                s += a[i][k] * b[k][j];
            c[i][j] = s;
        }
    double trace = 0;
    for (int i = 0; i < N; i++)
        trace += c[i][i];
    printf("trace %.6f corner %.6f\n", trace, c[N - 1][0]);

    double x[N] = {0}, rhs[N];
    for (int i = 0; i < N; i++)
        rhs[i] = i + 1;
    for (int it = 0; it < 50; it++) {
        double next[N];
        for (int i = 0; i < N; i++) {
            double s = rhs[i];
            for (int j = 0; j < N; j++)
                if (j != i)
                    s -= (j == i + 1 || j + 1 == i) * -1.0 * x[j];
            next[i] = s / 4.0;
        }
        for (int i = 0; i < N; i++)
            x[i] = next[i];
    }
    printf("jacobi x0 %.6f xmid %.6f xlast %.6f\n", x[0], x[N / 2], x[N - 1]);

    for (int row = 0; row < 6; row++) {
        char line[41];
        for (int col = 0; col < 40; col++) {
            double cr = -2.0 + col * 2.5 / 40, ci = -1.0 + row * 2.0 / 6, zr = 0, zi = 0;
            int k = 0;
            while (k < 50 && zr * zr + zi * zi < 4) {
                double t = zr * zr - zi * zi + cr;
                zi = 2 * zr * zi + ci;
                zr = t;
                k++;
            }
            line[col] = " .:-=+*#%@"[k % 10];
        }
        line[40] = 0;
        printf("|%s|\n", line);
    }
    printf("norm %.4e\n", sqrt(trace * trace + 1.0));
    fflush(stdout);
    exit(3);
}
