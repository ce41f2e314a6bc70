// One line per operator, in alphabetical order.
export { filter } from './filter'
export { map } from './map'
