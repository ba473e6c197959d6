// Replaced by the storage set-up once the database layer lands.
export default function setup() {}
