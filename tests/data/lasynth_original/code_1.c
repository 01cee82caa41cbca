#include <stdio.h>

int * func_1(int a[])
{
    a[0] = a[1] << 1;
    return a;
}

int main(void)
{
    int a0[5] = {1, 0, -2, 3, 4};
    int a1[5] = {2, -1, 0, 1, -4};
    int a2[5] = {0, 0, 0, 0, 0};
    int a3[5] = {4, 4, 4, 4, 4};
    int a4[5] = {-3, 2, 1, 0, -1};
    return 0;
}
