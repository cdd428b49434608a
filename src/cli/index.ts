/**
 * Entry point (bin/joey runs this). The verbs containerd and podman call for
 * every container take the fast path; everything else loads the full CLI.
 */
const { fast } = await import('./fast.js');
if (!(await fast(process.argv.slice(2)))) {
  const { main } = await import('./main.js');
  await main(process.argv);
}
