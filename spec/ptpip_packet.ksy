meta:
  id: ptpip_packet
  title: PTP/IP packet (PTP over TCP, command and event connections)
  license: MIT
  ks-version: 0.11
  imports:
    - ptp_codes
  endian: le
doc: |
  One packet of PTP/IP, the TCP transport of PTP (default port 15740): an 8-byte header (u4
  length of the whole packet, u4 packet type) then `len_packet - 8` payload bytes. The payload
  layout depends on the packet type and is described by the nested types (`init_command_request`,
  `operation_request`, `start_data`, ...); InitEventAck, ProbeRequest and ProbeResponse carry no
  payload. The same PTP operations, responses and events as over USB travel inside; only the
  framing differs: a transaction is OperationRequest, then for a data phase StartData, Data
  packets and EndData, then OperationResponse, all on the command connection; events come on
  the separate event connection.
doc-ref: "CIPA DC-005-2005 (PTP-IP), packet format; ISO 15740:2013 annex on PTP/IP"
seq:
  - id: header
    type: packet_header
    doc: Length and type of the packet.
    doc-ref: "CIPA DC-005-2005 (PTP-IP), generic packet header"
  - id: payload
    size: header.len_packet - 8
    doc: The packet body; decode it with the nested type named after `header.packet_type`.
    doc-ref: "CIPA DC-005-2005 (PTP-IP), generic packet"
types:
  packet_header:
    doc: The 8 bytes every PTP/IP packet starts with; read them first to learn how much follows.
    doc-ref: "CIPA DC-005-2005 (PTP-IP), generic packet header"
    seq:
      - id: len_packet
        -orig-id: Length
        type: u4
        valid:
          min: 8
        doc: Length of the whole packet in bytes, these 8 header bytes included.
        doc-ref: "CIPA DC-005-2005 (PTP-IP), generic packet header"
      - id: packet_type
        -orig-id: PacketType
        type: u4
        enum: packet_type
        doc: What the payload is (1-14; other values are invalid).
        doc-ref: "CIPA DC-005-2005 (PTP-IP), packet types"
  init_command_request:
    doc: |
      First packet on the command connection, host to device: who the host is and which PTP/IP
      version it speaks.
    doc-ref: "CIPA DC-005-2005 (PTP-IP), Init Command Request packet"
    seq:
      - id: guid
        -orig-id: InitiatorGUID
        size: 16
        doc: The host's 16-byte identifier; a device may remember hosts it has paired with.
        doc-ref: "CIPA DC-005-2005 (PTP-IP), Init Command Request packet"
      - id: friendly_name
        -orig-id: InitiatorFriendlyName
        type: strz
        encoding: UTF-16LE
        doc: Human-readable host name, NUL-terminated (a 2-byte NUL; empty = just the NUL).
        doc-ref: "CIPA DC-005-2005 (PTP-IP), Init Command Request packet"
      - id: version_minor
        -orig-id: ProtocolVersion (low word)
        type: u2
        doc: PTP/IP protocol version, minor part (0 for 1.0).
        doc-ref: "CIPA DC-005-2005 (PTP-IP), Init Command Request packet"
      - id: version_major
        -orig-id: ProtocolVersion (high word)
        type: u2
        doc: PTP/IP protocol version, major part (1 for 1.0).
        doc-ref: "CIPA DC-005-2005 (PTP-IP), Init Command Request packet"
  init_command_ack:
    doc: |
      The device accepts the command connection: the connection number the host must quote
      on its event connection, and the device's own identity and version.
    doc-ref: "CIPA DC-005-2005 (PTP-IP), Init Command Ack packet"
    seq:
      - id: connection_number
        -orig-id: ConnectionNumber
        type: u4
        doc: Session-independent number tying the event connection to this command connection.
        doc-ref: "CIPA DC-005-2005 (PTP-IP), Init Command Ack packet"
      - id: guid
        -orig-id: ResponderGUID
        size: 16
        doc: The device's 16-byte identifier.
        doc-ref: "CIPA DC-005-2005 (PTP-IP), Init Command Ack packet"
      - id: friendly_name
        -orig-id: ResponderFriendlyName
        type: strz
        encoding: UTF-16LE
        doc: Human-readable device name, NUL-terminated.
        doc-ref: "CIPA DC-005-2005 (PTP-IP), Init Command Ack packet"
      - id: version_minor
        -orig-id: ProtocolVersion (low word)
        type: u2
        doc: PTP/IP protocol version, minor part.
        doc-ref: "CIPA DC-005-2005 (PTP-IP), Init Command Ack packet"
      - id: version_major
        -orig-id: ProtocolVersion (high word)
        type: u2
        doc: PTP/IP protocol version, major part.
        doc-ref: "CIPA DC-005-2005 (PTP-IP), Init Command Ack packet"
  init_event_request:
    doc: First packet on the event connection, host to device.
    doc-ref: "CIPA DC-005-2005 (PTP-IP), Init Event Request packet"
    seq:
      - id: connection_number
        -orig-id: ConnectionNumber
        type: u4
        doc: The number from the Init Command Ack of the command connection this one belongs to.
        doc-ref: "CIPA DC-005-2005 (PTP-IP), Init Event Request packet"
  init_fail:
    doc: The device refuses a command or event connection; it closes the connection after it.
    doc-ref: "CIPA DC-005-2005 (PTP-IP), Init Fail packet"
    seq:
      - id: reason
        -orig-id: Reason
        type: u4
        enum: init_fail_reason
        doc: Why the connection was refused.
        doc-ref: "CIPA DC-005-2005 (PTP-IP), Init Fail packet"
  operation_request:
    doc: |
      Host to device: start a transaction (the USB Command container). Parameters run to the
      end of the packet: `(len_packet - 18) / 4` of them, at most 5.
    doc-ref: "CIPA DC-005-2005 (PTP-IP), Operation Request packet; ISO 15740:2013, operation dataset"
    seq:
      - id: data_phase
        -orig-id: DataPhaseInfo
        type: u4
        enum: data_phase_info
        doc: |
          Which data phase the host expects. Unreliable in practice (some clients always send
          0): a device decides the direction from the operation.
        doc-ref: "CIPA DC-005-2005 (PTP-IP), Operation Request packet"
      - id: operation_code
        -orig-id: OperationCode
        type: u2
        enum: ptp_codes::operation_code
        doc: The operation, as over USB.
        doc-ref: "ISO 15740:2013 (PIMA 15740), operation codes"
      - id: transaction_id
        -orig-id: TransactionID
        type: u4
        doc: Transaction id, as over USB.
        doc-ref: "ISO 15740:2013 (PIMA 15740), operation dataset"
      - id: params
        -orig-id: Parameter1-5
        type: u4
        repeat: eos
        doc: Operation parameters 1 to 5.
        doc-ref: "ISO 15740:2013 (PIMA 15740), operation dataset"
  operation_response:
    doc: "Device to host: end of a transaction (the USB Response container)."
    doc-ref: "CIPA DC-005-2005 (PTP-IP), Operation Response packet; ISO 15740:2013, response dataset"
    seq:
      - id: response_code
        -orig-id: ResponseCode
        type: u2
        enum: ptp_codes::response_code
        doc: The response, as over USB.
        doc-ref: "ISO 15740:2013 (PIMA 15740), response codes"
      - id: transaction_id
        -orig-id: TransactionID
        type: u4
        doc: The transaction this response ends.
        doc-ref: "ISO 15740:2013 (PIMA 15740), response dataset"
      - id: params
        -orig-id: Parameter1-5
        type: u4
        repeat: eos
        doc: Response parameters 1 to 5.
        doc-ref: "ISO 15740:2013 (PIMA 15740), response dataset"
  event:
    doc: Device to host on the event connection (the USB interrupt Event container).
    doc-ref: "CIPA DC-005-2005 (PTP-IP), Event packet; ISO 15740:2013, event dataset"
    seq:
      - id: event_code
        -orig-id: EventCode
        type: u2
        enum: ptp_codes::event_code
        doc: The event, as over USB.
        doc-ref: "ISO 15740:2013 (PIMA 15740), event codes"
      - id: transaction_id
        -orig-id: TransactionID
        type: u4
        doc: Transaction the event refers to, or 0 / 0xFFFFFFFF.
        doc-ref: "ISO 15740:2013 (PIMA 15740), event dataset"
      - id: params
        -orig-id: Parameter1-3
        type: u4
        repeat: eos
        doc: Event parameters 1 to 3.
        doc-ref: "ISO 15740:2013 (PIMA 15740), event dataset"
  start_data:
    doc: Opens a data phase in either direction and announces its total size.
    doc-ref: "CIPA DC-005-2005 (PTP-IP), Start Data packet"
    seq:
      - id: transaction_id
        -orig-id: TransactionID
        type: u4
        doc: The transaction the data belongs to.
        doc-ref: "CIPA DC-005-2005 (PTP-IP), Start Data packet"
      - id: len_total
        -orig-id: TotalDataLength
        type: u8
        doc: Bytes of data the following Data and EndData packets carry together.
        doc-ref: "CIPA DC-005-2005 (PTP-IP), Start Data packet"
  data:
    doc: One piece of a data phase (any number of them, between StartData and EndData).
    doc-ref: "CIPA DC-005-2005 (PTP-IP), Data packet"
    seq:
      - id: transaction_id
        -orig-id: TransactionID
        type: u4
        doc: The transaction the data belongs to (some hosts send 0 here).
        doc-ref: "CIPA DC-005-2005 (PTP-IP), Data packet"
      - id: payload
        -orig-id: DataPayload
        size-eos: true
        doc: The bytes of this piece.
        doc-ref: "CIPA DC-005-2005 (PTP-IP), Data packet"
  cancel:
    doc: Either side abandons the transaction in progress.
    doc-ref: "CIPA DC-005-2005 (PTP-IP), Cancel packet"
    seq:
      - id: transaction_id
        -orig-id: TransactionID
        type: u4
        doc: The transaction to cancel.
        doc-ref: "CIPA DC-005-2005 (PTP-IP), Cancel packet"
  end_data:
    doc: The last piece of a data phase (its payload may be empty).
    doc-ref: "CIPA DC-005-2005 (PTP-IP), End Data packet"
    seq:
      - id: transaction_id
        -orig-id: TransactionID
        type: u4
        doc: The transaction the data belongs to.
        doc-ref: "CIPA DC-005-2005 (PTP-IP), End Data packet"
      - id: payload
        -orig-id: DataPayload
        size-eos: true
        doc: The final bytes of the data phase.
        doc-ref: "CIPA DC-005-2005 (PTP-IP), End Data packet"
enums:
  packet_type:
    1:
      id: init_command_request
      -orig-id: PTPIP_INIT_COMMAND_REQUEST
      doc: "Host to device, first on the command connection: GUID, friendly name, version."
      doc-ref: "CIPA DC-005-2005 (PTP-IP), packet types"
    2:
      id: init_command_ack
      -orig-id: PTPIP_INIT_COMMAND_ACK
      doc: "Device to host: connection number, GUID, friendly name, version."
      doc-ref: "CIPA DC-005-2005 (PTP-IP), packet types"
    3:
      id: init_event_request
      -orig-id: PTPIP_INIT_EVENT_REQUEST
      doc: "Host to device, first on the event connection: the connection number."
      doc-ref: "CIPA DC-005-2005 (PTP-IP), packet types"
    4:
      id: init_event_ack
      -orig-id: PTPIP_INIT_EVENT_ACK
      doc: "Device to host: the event connection is set up. No payload."
      doc-ref: "CIPA DC-005-2005 (PTP-IP), packet types"
    5:
      id: init_fail
      -orig-id: PTPIP_INIT_FAIL
      doc: "Device to host: connection refused, with a reason."
      doc-ref: "CIPA DC-005-2005 (PTP-IP), packet types"
    6:
      id: operation_request
      -orig-id: PTPIP_CMD_REQUEST
      doc: "Host to device: operation code, transaction id, 0-5 params."
      doc-ref: "CIPA DC-005-2005 (PTP-IP), packet types"
    7:
      id: operation_response
      -orig-id: PTPIP_CMD_RESPONSE
      doc: "Device to host: response code, transaction id, 0-5 params."
      doc-ref: "CIPA DC-005-2005 (PTP-IP), packet types"
    8:
      id: event
      -orig-id: PTPIP_EVENT
      doc: "Device to host on the event connection: event code, transaction id, 0-3 params."
      doc-ref: "CIPA DC-005-2005 (PTP-IP), packet types"
    9:
      id: start_data
      -orig-id: PTPIP_START_DATA_PACKET
      doc: "Opens a data phase: transaction id and total length (u8)."
      doc-ref: "CIPA DC-005-2005 (PTP-IP), packet types"
    10:
      id: data
      -orig-id: PTPIP_DATA_PACKET
      doc: "A piece of a data phase: transaction id, bytes."
      doc-ref: "CIPA DC-005-2005 (PTP-IP), packet types"
    11:
      id: cancel
      -orig-id: PTPIP_CANCEL_TRANSACTION
      doc: "Abandon a transaction: transaction id."
      doc-ref: "CIPA DC-005-2005 (PTP-IP), packet types"
    12:
      id: end_data
      -orig-id: PTPIP_END_DATA_PACKET
      doc: "The last piece of a data phase: transaction id, bytes (possibly none)."
      doc-ref: "CIPA DC-005-2005 (PTP-IP), packet types"
    13:
      id: probe_request
      -orig-id: PTPIP_PING
      doc: "Either side asks whether the peer is alive. No payload."
      doc-ref: "CIPA DC-005-2005 (PTP-IP), packet types"
    14:
      id: probe_response
      -orig-id: PTPIP_PONG
      doc: "Answer to a probe request. No payload."
      doc-ref: "CIPA DC-005-2005 (PTP-IP), packet types"
  data_phase_info:
    0:
      id: unspecified
      -orig-id: (none)
      doc: "Not a defined value, but sent by some clients for every operation."
      doc-ref: "CIPA DC-005-2005 (PTP-IP), Operation Request packet (observed client behaviour)"
    1:
      id: no_data_or_data_in
      -orig-id: PTPIP_DATA_PHASE_NONE_OR_IN
      doc: "No data phase, or data from device to host."
      doc-ref: "CIPA DC-005-2005 (PTP-IP), Operation Request packet"
    2:
      id: data_out
      -orig-id: PTPIP_DATA_PHASE_OUT
      doc: "Data from host to device."
      doc-ref: "CIPA DC-005-2005 (PTP-IP), Operation Request packet"
    3:
      id: unknown
      -orig-id: PTPIP_DATA_PHASE_UNKNOWN
      doc: "The host does not know the direction."
      doc-ref: "CIPA DC-005-2005 (PTP-IP), Operation Request packet"
  init_fail_reason:
    1:
      id: rejected_initiator
      -orig-id: FAIL_REJECTED_INITIATOR
      doc: "The device does not accept this host."
      doc-ref: "CIPA DC-005-2005 (PTP-IP), Init Fail packet"
    2:
      id: busy
      -orig-id: FAIL_BUSY
      doc: "The device serves another host or cannot take the connection now."
      doc-ref: "CIPA DC-005-2005 (PTP-IP), Init Fail packet"
    3:
      id: unspecified
      -orig-id: FAIL_UNSPECIFIED
      doc: "Any other reason (also: a malformed init packet)."
      doc-ref: "CIPA DC-005-2005 (PTP-IP), Init Fail packet"
  protocol_version:
    0:
      id: minor
      -orig-id: PTPIP_VERSION_MINOR
      doc: "Minor part of the PTP/IP version this library and the simulator speak (1.0)."
      doc-ref: "CIPA DC-005-2005 (PTP-IP), Init Command Request packet, ProtocolVersion"
    1:
      id: major
      -orig-id: PTPIP_VERSION_MAJOR
      doc: "Major part of the PTP/IP version this library and the simulator speak (1.0)."
      doc-ref: "CIPA DC-005-2005 (PTP-IP), Init Command Request packet, ProtocolVersion"
  tcp_port:
    15740:
      id: ptpip
      -orig-id: PTPIP_PORT
      doc: "The TCP port a PTP/IP device listens on for both connections."
      doc-ref: "CIPA DC-005-2005 (PTP-IP), connection establishment (IANA port 15740)"
