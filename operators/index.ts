// One line per operator, in alphabetical order.
export { filter } from './filter'
export { map } from './map'
export { sample, type SampleOptions } from './sample'
export { take } from './take'
export { scan } from './scan'
export { skip } from './skip'
export { takeWhile, type TakeWhileOptions } from './take-while'
export { buffer, type BufferOptions, type BackpressureBufferOptions, type LossyBufferOptions } from './buffer'
