/* A component test program whose module never writes to stdout (it imports no fd_write): it sorts a
   small array and says whether that worked through its exit status only. */
static int data[32];

static void sort(int *a, int n) {
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && a[j - 1] > a[j]; j--) {
            int t = a[j]; a[j] = a[j - 1]; a[j - 1] = t;
        }
}

int main(void) {
    for (int i = 0; i < 32; i++)
        data[i] = (i * 17 + 5) % 32;
    sort(data, 32);
    for (int i = 0; i < 32; i++)
        if (data[i] != i)
            return 1;
    return 7;
}
