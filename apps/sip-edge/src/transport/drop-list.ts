/** The edge's early drop list is the platform ban list of libs/common, checked before a byte is parsed. */
export { BanList as DropList, type BanListOptions as DropListOptions } from '@pbx/common';
