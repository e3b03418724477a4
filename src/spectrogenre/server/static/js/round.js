// Python's round() and numpy's rint: halves go to the even neighbour (Math.round sends them up).

export function roundHalfEven(v) {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
