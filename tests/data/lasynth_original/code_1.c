#include <stdio.h>

int * func_1(int a[]);

int * func_1(int a[])
{
    a[0] = a[1] << 1;
    return a;
}

int main(void)
{
    int a0[5] = {1, 2, 0, 4, (-3)};
    int a1[5] = {0, (-1), 0, 4, 2};
    int a2[5] = {(-2), 0, 0, 4, 1};
    int a3[5] = {3, 1, 0, 4, 0};
    int a4[5] = {4, -4, 0, 4, (-1)};
    return 0;
}
