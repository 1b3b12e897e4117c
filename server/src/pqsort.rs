//! Valkey's `pqsort`, the partial quicksort that SORT (BY with LIMIT) and the geo commands (COUNT
//! without ANY) use: only the positions a reply needs are sorted, and because the algorithm is not
//! stable, elements that compare equal come out in the order this exact algorithm leaves them. It is
//! therefore reproduced step by step rather than replaced by another sort.

use std::cmp::Ordering;

/// Valkey's `pqsort`: the BSD quicksort (median-of-three, three-way partitioning, insertion sort
/// below seven elements) that only descends into partitions overlapping positions `start..=end`.
/// Those positions end up sorted; the others are left in whatever order the partitioning produced.
/// It is not stable, so elements that compare equal come out in the order this exact algorithm
/// leaves them, which is why it is reproduced step by step rather than replaced by another sort.
pub fn partial_sort<T>(
    items: &mut [T],
    start: usize,
    end: usize,
    compare: &mut impl FnMut(&T, &T) -> Ordering,
) {
    partial_sort_from(items, 0, start, end, compare);
}

/// [`partial_sort`] on a part of the whole vector that begins at position `base` of it.
fn partial_sort_from<T>(
    mut items: &mut [T],
    mut base: usize,
    start: usize,
    end: usize,
    compare: &mut impl FnMut(&T, &T) -> Ordering,
) {
    loop {
        let n = items.len();
        if n < 7 {
            for m in 1..n {
                let mut at = m;
                while at > 0 && compare(&items[at - 1], &items[at]) == Ordering::Greater {
                    items.swap(at, at - 1);
                    at -= 1;
                }
            }
            return;
        }
        let mut pivot = n / 2;
        if n > 7 {
            let mut low = 0;
            let mut high = n - 1;
            if n > 40 {
                let d = n / 8;
                low = median_of_three(items, low, low + d, low + 2 * d, compare);
                pivot = median_of_three(items, pivot - d, pivot, pivot + d, compare);
                high = median_of_three(items, high - 2 * d, high - d, high, compare);
            }
            pivot = median_of_three(items, low, pivot, high, compare);
        }
        items.swap(0, pivot);
        // Invariant: [1, pa) equal to the pivot, [pa, pb) less, (pc, pd] greater, (pd, n) equal.
        let (mut pa, mut pb) = (1, 1);
        let (mut pc, mut pd) = (n - 1, n - 1);
        loop {
            while pb <= pc {
                let order = compare(&items[pb], &items[0]);
                if order == Ordering::Greater {
                    break;
                }
                if order == Ordering::Equal {
                    items.swap(pa, pb);
                    pa += 1;
                }
                pb += 1;
            }
            while pb <= pc {
                let order = compare(&items[pc], &items[0]);
                if order == Ordering::Less {
                    break;
                }
                if order == Ordering::Equal {
                    items.swap(pc, pd);
                    pd -= 1;
                }
                pc -= 1;
            }
            if pb > pc {
                break;
            }
            items.swap(pb, pc);
            pb += 1;
            pc -= 1;
        }
        // Move the equal runs from both ends into the middle.
        let r = pa.min(pb - pa);
        swap_runs(items, 0, pb - r, r);
        let r = (pd - pc).min(n - pd - 1);
        swap_runs(items, pb, n - r, r);

        let overlaps = |first: usize, last: usize| !(end < first || start > last);
        let less = pb - pa;
        if less > 1 && overlaps(base, base + less - 1) {
            partial_sort_from(&mut items[..less], base, start, end, compare);
        }
        let greater = pd - pc;
        if greater <= 1 {
            return;
        }
        let first = n - greater;
        if !overlaps(base + first, base + n - 1) {
            return;
        }
        items = &mut items[first..];
        base += first;
    }
}

/// Exchanges the `len` items from `a` with the `len` items from `b` (the runs never overlap).
fn swap_runs<T>(items: &mut [T], a: usize, b: usize, len: usize) {
    for i in 0..len {
        items.swap(a + i, b + i);
    }
}

/// BSD `med3`: the index of the median of three items.
fn median_of_three<T>(
    items: &[T],
    a: usize,
    b: usize,
    c: usize,
    compare: &mut impl FnMut(&T, &T) -> Ordering,
) -> usize {
    if compare(&items[a], &items[b]) == Ordering::Less {
        if compare(&items[b], &items[c]) == Ordering::Less {
            b
        } else if compare(&items[a], &items[c]) == Ordering::Less {
            c
        } else {
            a
        }
    } else if compare(&items[b], &items[c]) == Ordering::Greater {
        b
    } else if compare(&items[a], &items[c]) == Ordering::Less {
        a
    } else {
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The requested positions hold what a full sort puts there, and nothing is lost.
        #[test]
        fn partial_sort_sorts_the_range(
            mut values in proptest::collection::vec(0u8..20, 0..200),
            a in 0usize..200,
            b in 0usize..200,
        ) {
            let mut sorted = values.clone();
            sorted.sort_unstable();
            if values.is_empty() {
                return Ok(());
            }
            let (start, end) = (a.min(b) % values.len(), a.max(b) % values.len());
            let (start, end) = (start.min(end), start.max(end));
            partial_sort(&mut values, start, end, &mut |x: &u8, y: &u8| x.cmp(y));
            prop_assert_eq!(&values[start..=end], &sorted[start..=end]);
            let mut all = values.clone();
            all.sort_unstable();
            prop_assert_eq!(all, sorted);
        }
    }
}
