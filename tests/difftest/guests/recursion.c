/* Recursion and call-heavy code: deep stack frames, saved registers, indirect calls. */
int results[8];

static int fib(int n)
{
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

static unsigned ackermann(unsigned m, unsigned n)
{
    if (m == 0)
        return n + 1;
    if (n == 0)
        return ackermann(m - 1, 1);
    return ackermann(m - 1, ackermann(m, n - 1));
}

static int is_odd(unsigned n);
static int is_even(unsigned n) { return n == 0 ? 1 : is_odd(n - 1); }
static int is_odd(unsigned n) { return n == 0 ? 0 : is_even(n - 1); }

static void quicksort(int *a, int lo, int hi)
{
    if (lo >= hi)
        return;
    int pivot = a[(lo + hi) / 2], i = lo, j = hi;
    while (i <= j) {
        while (a[i] < pivot) i++;
        while (a[j] > pivot) j--;
        if (i <= j) {
            int t = a[i];
            a[i++] = a[j];
            a[j--] = t;
        }
    }
    quicksort(a, lo, j);
    quicksort(a, i, hi);
}

static int apply(int (*f)(int), int x) { return f(x) + f(x + 1); }
static int twice(int x) { return 2 * x - 7; }

int data[24] = {5, -3, 99, 0, -2147483647 - 1, 17, 42, -42, 7, 7, 1000000, -1,
                3, 2147483647, 12, -8, 64, 33, -100, 8, 21, -13, 55, 0};

int main(void)
{
    results[0] = fib(10);
    results[1] = (int)ackermann(2, 3);
    results[2] = is_even(25) + 2 * is_odd(25);
    quicksort(data, 0, 23);
    results[3] = data[0] ^ data[23] ^ data[11];
    results[4] = apply(twice, 20) + apply(fib, 6);
    return results[0] + results[1] + results[3];
}
