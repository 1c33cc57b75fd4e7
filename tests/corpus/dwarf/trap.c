/* A -O0 -g program that traps (a division by zero) three calls deep, for the trap backtrace's
 * file:line. */
#include <stdio.h>

static int divide(int a, int b)
{
    return a / b;
}

static int average(int sum, int count)
{
    return divide(sum, count);
}

int main(void)
{
    printf("start\n");
    fflush(stdout);
    int zero = 0;
    return average(10, zero);
}
