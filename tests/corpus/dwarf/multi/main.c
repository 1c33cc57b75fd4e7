/* Two compilation units (main.c, util.c) built with -g: the line table has one sequence per unit. */
#include <stdio.h>

int util_sum(int n);
int util_square(int n);

int main(void)
{
    int s = util_sum(10);
    int q = util_square(s);
    printf("%d %d\n", s, q);
    return 0;
}
