/* A -O0 -g program for the source-level tests (docs/SOURCE.md): loops, branches taken and not
 * taken, a function never called, so line coverage has hits, misses and several counts.  Built the
 * same way natively with gcc --coverage, gcov's verdict per line is the oracle. */
#include <stdio.h>

static int collatz_steps(int n)
{
    int steps = 0;
    while (n != 1) {
        if (n % 2 == 0)
            n = n / 2;
        else
            n = 3 * n + 1;
        steps++;
    }
    return steps;
}

static int never_called(int x)
{
    int y = x * x;
    return y + 1;
}

static int classify(int v)
{
    if (v < 0)
        return -1;
    if (v == 0)
        return 0;
    if (v > 1000000)
        return never_called(v);
    return 1;
}

int main(int argc, char **argv)
{
    int total = 0;
    for (int i = 1; i <= 10; i++) {
        total += collatz_steps(i);
    }
    printf("total %d\n", total);
    int signs = 0;
    for (int k = -3; k <= 3; k++) {
        signs += classify(k);
    }
    printf("signs %d\n", signs);
    if (argc > 5) {
        printf("%s\n", argv[1]);
        return 2;
    }
    return 0;
}
