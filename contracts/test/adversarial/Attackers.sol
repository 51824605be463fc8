// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {MockERC20} from "../../src/mocks/MockERC20.sol";
import {ILiquidationCallback} from "../../src/interfaces/ILiquidationCallback.sol";

/// @notice Records one attempted re-entry: whether it ran, succeeded, and what it returned.
abstract contract ReentryRecorder {
    address public target;
    bytes public payload;
    bool public bubble;
    uint256 public fired;
    bool public lastOk;
    bytes public lastReturn;

    /// @notice Arms one re-entry into `target_` with `payload_`; `bubble_` re-raises its revert.
    function arm(address target_, bytes calldata payload_, bool bubble_) external {
        (target, payload, bubble) = (target_, payload_, bubble_);
    }

    function _reenter() internal {
        address t = target;
        target = address(0); // one shot
        ++fired;
        (bool ok, bytes memory ret) = t.call(payload);
        (lastOk, lastReturn) = (ok, ret);
        if (!ok && bubble) {
            assembly ("memory-safe") {
                revert(add(ret, 32), mload(ret))
            }
        }
    }
}

/// @notice An ERC-20 whose every balance change touching the armed target calls back into it (like an ERC-777 or
/// a token with transfer hooks): the re-entry runs after the balances moved, before the outer transfer returns.
contract ReentrantToken is MockERC20, ReentryRecorder {
    constructor(string memory name_, uint8 decimals_) MockERC20(name_, name_, decimals_) {}

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        address t = target;
        if (t != address(0) && (from == t || to == t)) _reenter();
    }
}

/// @notice A liquidator contract whose liquidation callback re-enters the engine.
contract ReentrantLiquidator is ILiquidationCallback, ReentryRecorder {
    address public immutable engine;
    uint256 public cbMarketId;
    uint256 public cbSeized;
    uint256 public cbOwed;

    constructor(address engine_) {
        engine = engine_;
    }

    /// @notice Runs any call as this contract (set-up: approvals, its own vault and supply, liquidations).
    function exec(address to, bytes calldata data) external returns (bytes memory ret) {
        bool ok;
        (ok, ret) = to.call(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 32), mload(ret))
            }
        }
    }

    function onIsomarginLiquidation(uint256 marketId, uint256 seized, uint256 owed, bytes calldata) external {
        require(msg.sender == engine, "not engine");
        (cbMarketId, cbSeized, cbOwed) = (marketId, seized, owed);
        if (target != address(0)) _reenter();
    }
}
