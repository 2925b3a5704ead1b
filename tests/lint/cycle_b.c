/* tools/layers.py must refuse this pair: a calls b, b calls a. */
int	 lint_a(int);
int	 lint_b(int);

int
lint_b(int n)
{
	return n > 0 ? lint_a(n - 1) : 0;
}
