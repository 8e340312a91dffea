// `kapi-env/jest/teardown`: Jest's globalTeardown wants a module whose default export is the function.
import { globalTeardown } from './jest.js';

export default globalTeardown;
