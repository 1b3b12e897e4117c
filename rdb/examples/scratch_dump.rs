fn main() {
    let path = std::env::args().nth(1).unwrap();
    let mut reader = ferry_rdb::reader::RdbReader::new(std::fs::File::open(path).unwrap()).unwrap();
    println!("version {}", reader.version());
    loop {
        match reader.next_item() {
            Ok(Some(item)) => println!("{item:?}"),
            Ok(None) => break,
            Err(e) => {
                println!("ERROR {e}");
                break;
            }
        }
    }
    println!("checksum {:?}", reader.checksum());
}
