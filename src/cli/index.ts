/** Entry point (bin/joey runs this). */
import { main } from './main.js';

await main(process.argv);
