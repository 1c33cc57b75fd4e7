/* An -O2 -gdwarf-5 program of two compilation units that traps (an out-of-bounds load) three calls
 * deep, in the other unit: the output-DWARF tests' trap backtrace (docs/DWARF_OUTPUT.md).
 * The bad stride comes from argc (0 under a plain run) so the compiler cannot see it. */
#include <stdio.h>

int sum_strided(const int *table, int n, int stride);

static const int table[] = {3, 1, 4, 1, 5, 9, 2, 6};

int main(int argc, char **argv)
{
    (void)argv;
    printf("sum %d\n", sum_strided(table, 8, 1));
    fflush(stdout);
    printf("never %d\n", sum_strided(table, 2, (argc + 1) << 28));
    return 0;
}
